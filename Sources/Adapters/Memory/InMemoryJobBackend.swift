import StreamingApplication
import StreamingDomain
import Synchronization

/// Named in-memory queues of one process (the Ruby gem's `queue_name` with the memory
/// backend): the same name always gives the same ``InMemoryJobQueue``, different names
/// queues that never see each other's jobs.
///
/// ```swift
/// let backend = InMemoryJobBackend()
/// let emails = try backend.queue(named: "emails")
/// let reports = try backend.queue(named: "reports")
/// ```
public final class InMemoryJobBackend: Sendable {
    private let queues = Mutex<[String: InMemoryJobQueue]>([:])
    /// How many completed jobs each queue keeps with their results.
    public let completedLimit: Int

    public init(completedLimit: Int = 10_000) {
        self.completedLimit = completedLimit
    }

    /// The queue named `name`, created on first use.
    ///
    /// - Throws: `StreamingError.invalidInput` for a name that ``QueueName`` refuses.
    public func queue(named name: String = QueueName.defaultName) throws -> InMemoryJobQueue {
        guard QueueName.isValid(name) else { throw StreamingError.invalidInput(QueueName.problem(name)) }
        return queues.withLock { queues in
            if let queue = queues[name] { return queue }
            let queue = InMemoryJobQueue(completedLimit: completedLimit)
            queues[name] = queue
            return queue
        }
    }

    /// The names of the queues created so far, sorted.
    public var queueNames: [String] { queues.withLock { $0.keys.sorted() } }
}
