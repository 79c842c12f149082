import Synchronization

/// What makes an ``AgentStreamService`` one node of a cluster: the shared log of streams and
/// this node's name in it.
public struct StreamCluster: Sendable {
    /// The log every node appends to and reads from.
    public let log: any StreamLog
    /// This node's name, unique in the cluster (the lease holder's name).
    public let nodeID: String
    /// The most frames a running stream holds here while the log cannot be written; past
    /// it the stream ends with `cluster_unavailable`.
    public let maxPendingFrames: Int

    /// What this node wrote to the log and how long it took.
    public let counters = StreamLogCounters()

    public init(log: any StreamLog, nodeID: String, maxPendingFrames: Int = 10_000) {
        self.log = log
        self.nodeID = nodeID
        self.maxPendingFrames = max(1, maxPendingFrames)
    }
}

/// Appends to the stream log from one node: how many, how many frames, how long.
public final class StreamLogCounters: Sendable {
    private struct State {
        var appends = 0
        var frames = 0
        var failures = 0
        var totalLatency: Duration = .zero
        var maxLatency: Duration = .zero
    }

    private let state = Mutex(State())

    init() {}

    func appended(frames: Int, took latency: Duration) {
        state.withLock { state in
            state.appends += 1
            state.frames += frames
            state.totalLatency += latency
            state.maxLatency = max(state.maxLatency, latency)
        }
    }

    func failed() { state.withLock { $0.failures += 1 } }

    /// The figures so far.
    public var stats: StreamLogStats {
        state.withLock { state in
            StreamLogStats(
                appends: state.appends, frames: state.frames, failures: state.failures, totalLatency: state.totalLatency,
                averageLatency: state.appends == 0 ? .zero : state.totalLatency / state.appends,
                maxLatency: state.maxLatency)
        }
    }
}

/// Figures of a node's appends to the stream log.
public struct StreamLogStats: Sendable, Hashable {
    /// Appends (round trips) that succeeded.
    public var appends: Int
    /// Frames they carried: `frames / appends` is the batch size.
    public var frames: Int
    /// Appends that failed (and were retried) while the log was unreachable.
    public var failures: Int
    /// Time the successful appends took together, each from the call to the reply: a
    /// counter, whose rate over that of ``appends`` is the mean latency of a period.
    public var totalLatency: Duration
    /// Time per append, from the call to the reply, over the node's life.
    public var averageLatency: Duration
    /// The longest append over the node's life.
    public var maxLatency: Duration
}
