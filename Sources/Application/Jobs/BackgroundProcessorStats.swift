/// The figures of a ``BackgroundProcessor``, with the Ruby gem's names.
public struct BackgroundProcessorStats: Sendable, Hashable, Codable {
    /// Whether `run()` is working (and not shutting down).
    public var running: Bool
    public var workers: Int
    /// Jobs being handled by this processor now.
    public var active: Int
    public var highPriorityQueue: Int
    public var normalPriorityQueue: Int
    public var lowPriorityQueue: Int
    public var scheduledJobs: Int
    /// Dead jobs: failed on every attempt.
    public var failedJobs: Int
    /// Jobs completed by any worker of the queue.
    public var completedJobs: Int
    /// Jobs this processor finished (completed, retried or dead) since it started.
    public var processed: Int

    enum CodingKeys: String, CodingKey {
        case running, workers, active, processed
        case highPriorityQueue = "high_priority_queue"
        case normalPriorityQueue = "normal_priority_queue"
        case lowPriorityQueue = "low_priority_queue"
        case scheduledJobs = "scheduled_jobs"
        case failedJobs = "failed_jobs"
        case completedJobs = "completed_jobs"
    }
}
