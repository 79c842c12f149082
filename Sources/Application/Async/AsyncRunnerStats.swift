/// Counts and timings of an ``AsyncRunner``.
public struct AsyncRunnerStats: Sendable, Hashable {
    public var poolSize: Int
    public var queueSize: Int
    /// Tasks running now.
    public var active: Int
    /// Tasks waiting for a free slot.
    public var queued: Int
    /// Tasks accepted since the runner was made.
    public var submitted: Int
    /// Submissions refused with ``StreamingError/queueFull(capacity:)``.
    public var rejected: Int
    public var completed: Int
    public var failed: Int
    public var cancelled: Int
    public var timedOut: Int
    /// The mean run time of every task that ran, from start to end (waiting in the queue
    /// not counted); `nil` before the first.
    public var averageDuration: Duration?
    /// The 95th percentile run time of the last ``AsyncRunner/durationWindow`` tasks that ran.
    public var p95Duration: Duration?
}

/// The run times of the latest tasks, for the percentile: a fixed-size ring, so the
/// runner's memory does not grow with the number of tasks it has run.
struct DurationWindow {
    private var samples: [Duration] = []
    private var next = 0
    let capacity: Int
    private(set) var total = Duration.zero
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        samples.reserveCapacity(capacity)
    }

    mutating func record(_ duration: Duration) {
        total += duration
        count += 1
        if samples.count < capacity {
            samples.append(duration)
        } else {
            samples[next] = duration
            next = (next + 1) % capacity
        }
    }

    var average: Duration? { count == 0 ? nil : total / count }

    /// The nearest-rank percentile `p` (0...100) of the window.
    func percentile(_ p: Int) -> Duration? {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        let rank = max(1, (p * sorted.count + 99) / 100)
        return sorted[min(rank, sorted.count) - 1]
    }
}
