#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import StreamingDomain
import Synchronization

/// Runs jobs from any ``JobQueue`` with handlers registered by name: N workers,
/// priorities, scheduled jobs, retries with exponential backoff and full jitter, dead
/// letters, and a graceful shutdown that loses nothing.
///
/// ```swift
/// let processor = BackgroundProcessor(queue: queue, options: .init(workers: 5))
/// processor.register("send_reminder", payload: Reminder.self) { reminder, context in
///     try await mailer.send(reminder)
/// }
/// try await processor.enqueueJob("send_reminder", Reminder(user: "u1"), priority: .high)
/// try await processor.run()          // until shutdown() or cancellation
/// ```
/// Claims and acknowledgements go to the queue in batches. A job with no handler is
/// dead-lettered with an error naming it; a payload that does not decode is a permanent
/// failure; every other error is retried until the job's attempts are used up.
public final class BackgroundProcessor: Sendable {
    public struct Options: Sendable, Hashable {
        /// Jobs handled at once.
        public var workers: Int
        /// How long a claimed job is leased; a worker that dies gives it back after this.
        public var lease: Duration
        /// How often an idle processor looks for work, and recovers ended leases.
        public var pollInterval: Duration
        public var backoff: RetryBackoff
        /// Attempts a job gets when enqueued through this processor (the Ruby gem's `retry_count` + 1).
        public var maxAttempts: Int
        /// How long a shutdown waits for running jobs before cancelling them and giving them back.
        public var shutdownGrace: Duration

        public init(
            workers: Int = 10,
            lease: Duration = .seconds(30),
            pollInterval: Duration = .milliseconds(100),
            backoff: RetryBackoff = RetryBackoff(),
            maxAttempts: Int = 4,
            shutdownGrace: Duration = .seconds(30)
        ) {
            self.workers = workers
            self.lease = lease
            self.pollInterval = pollInterval
            self.backoff = backoff
            self.maxAttempts = maxAttempts
            self.shutdownGrace = shutdownGrace
        }
    }

    public let queue: any JobQueue
    public let options: Options
    let clock: any Clock<Duration>
    let now: @Sendable () -> Date
    let logger: Logger
    private let handlers = Mutex<[String: JobHandler]>([:])
    let control = Mutex(ControlState())

    struct ControlState {
        var running = false
        var stopping = false
        var active = 0
        var processed = 0
    }

    /// - Parameters:
    ///   - clock: paces polling and the shutdown grace; tests pass their own.
    ///   - now: the wall clock for run-at times and leases.
    public init(
        queue: any JobQueue,
        options: Options = Options(),
        clock: any Clock<Duration> = ContinuousClock(),
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: LogLabel.background)
    ) {
        self.queue = queue
        self.options = options
        self.clock = clock
        self.now = now
        self.logger = logger
    }

    // MARK: Handlers

    /// Registers the handler of jobs named `name`; its return value is kept as the job's result.
    public func register(_ name: String, handler: @escaping @Sendable (JobContext) async throws -> [UInt8]?) {
        handlers.withLock { $0[name] = JobHandler(run: handler) }
    }

    /// Registers the handler of jobs named `name` whose payload is JSON for `Payload`.
    public func register<Payload: Decodable & Sendable>(
        _ name: String,
        payload: Payload.Type,
        handler: @escaping @Sendable (Payload, JobContext) async throws -> Void
    ) {
        handlers.withLock {
            $0[name] = .decoding(payload, name: name) { payload, context in
                try await handler(payload, context)
                return nil
            }
        }
    }

    /// Registers the handler of jobs named `name` with a JSON payload and a JSON result.
    public func register<Payload: Decodable & Sendable, Result: Encodable & Sendable>(
        _ name: String,
        payload: Payload.Type,
        handler: @escaping @Sendable (Payload, JobContext) async throws -> Result
    ) {
        handlers.withLock {
            $0[name] = .decoding(payload, name: name) { payload, context in
                try JobHandler.encode(try await handler(payload, context))
            }
        }
    }

    /// The names jobs can have here.
    public var registeredJobNames: [String] {
        handlers.withLock { $0.keys.sorted() }
    }

    func handler(named name: String) -> JobHandler? {
        handlers.withLock { $0[name] }
    }

    // MARK: Enqueueing

    /// Enqueues a job whose payload is `payload` as JSON.
    @discardableResult
    public func enqueueJob<Payload: Encodable>(
        _ name: String,
        _ payload: Payload,
        priority: JobPriority = .normal,
        idempotencyKey: String? = nil
    ) async throws -> JobID {
        let job = try NewJob(
            name: name, json: payload, priority: priority, idempotencyKey: idempotencyKey, maxAttempts: options.maxAttempts
        )
        return try await queue.enqueue([job], now: now())[0]
    }

    /// Enqueues a job that runs no earlier than `date`.
    @discardableResult
    public func scheduleJob<Payload: Encodable>(
        _ name: String,
        _ payload: Payload,
        at date: Date,
        priority: JobPriority = .normal,
        idempotencyKey: String? = nil
    ) async throws -> JobID {
        let job = try NewJob(
            name: name, json: payload, priority: priority, runAt: date, idempotencyKey: idempotencyKey,
            maxAttempts: options.maxAttempts
        )
        return try await queue.enqueue([job], now: now())[0]
    }

    // MARK: Control

    /// Starts a graceful shutdown of `run()`: no new claims; running jobs get
    /// `shutdownGrace` to finish; the rest are cancelled and given back to the queue.
    public func shutdown() {
        control.withLock { $0.stopping = true }
    }

    var isStopping: Bool { control.withLock { $0.stopping } }

    /// The processor's figures and the queue's.
    public func stats() async throws -> BackgroundProcessorStats {
        let queueStats = try await queue.stats(now: now())
        let control = control.withLock { $0 }
        return BackgroundProcessorStats(
            running: control.running && !control.stopping,
            workers: options.workers,
            active: control.active,
            highPriorityQueue: queueStats.waiting[.high, default: 0],
            normalPriorityQueue: queueStats.waiting[.normal, default: 0],
            lowPriorityQueue: queueStats.waiting[.low, default: 0],
            scheduledJobs: queueStats.scheduled,
            failedJobs: queueStats.dead,
            completedJobs: queueStats.completed,
            processed: control.processed
        )
    }
}
