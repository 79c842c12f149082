import DequeModule
import Logging
import StreamingDomain
import Synchronization

/// Runs agents in the background: a bounded pool of runs and a bounded queue in front of it.
///
/// At most ``poolSize`` runs go at once and at most ``queueSize`` wait; a submission beyond
/// that is refused at once with ``StreamingError/queueFull(capacity:)``: it never blocks its
/// caller and nothing is dropped silently. Each task has an id, a status, an outcome and an
/// event stream that can be watched while it runs; ``cancelTask(_:)`` stops the run and its
/// model request, and a task that runs past its timeout is stopped as ``TaskStatus/timedOut``.
///
/// Runs are child tasks of ``run()``, so nothing outlives the runner. Run it beside your
/// other services, or scope it with ``withRunning(shutdown:_:)``:
/// ```swift
/// let pool = AsyncRunner(runner: system.runner, poolSize: 4, queueSize: 100)
/// try await pool.withRunning { pool in
///     let id = try pool.processAsync(agent, "Summarise this") { outcome in print(outcome.status) }
///     let answer = try await pool.process(agent, "Hello")
///     let reports = await pool.waitForTasks([id], timeout: .seconds(30))
/// }
/// ```
public final class AsyncRunner: Sendable {
    /// The most runs at once.
    public let poolSize: Int
    /// The most tasks waiting for a free slot.
    public let queueSize: Int
    /// How long one run may take before it is stopped; `nil` for no limit.
    public let timeout: Duration?
    /// How many settled tasks are remembered for ``taskStatus(_:)`` and ``waitForTasks(_:timeout:)``;
    /// older ones are forgotten, so memory does not grow with the number of tasks run.
    public let retainedTasks: Int
    /// How many recent run times the p95 of ``stats`` is taken over.
    public static let durationWindow = 1024

    let runner: AgentRunner
    let clock: any Clock<Duration>
    let jitter: @Sendable (Duration) -> Duration
    let logger: Logger

    struct State {
        var tasks: [TaskID: TaskRecord] = [:]
        var waiting: Deque<TaskRecord> = []
        var settledOrder: Deque<TaskID> = []
        var active = 0
        var nextID: UInt64 = 0
        var rejected = 0
        var completed = 0
        var failed = 0
        var cancelled = 0
        var timedOut = 0
        var durations = DurationWindow(capacity: AsyncRunner.durationWindow)
        var isShutDown = false
    }

    let state: Mutex<State>
    let starts: AsyncStream<TaskRecord>
    let startsContinuation: AsyncStream<TaskRecord>.Continuation
    /// Set once the runner is shut down and has no task left.
    let idle = OneWaySignal()
    /// Stops running tasks that pass their timeout.
    let deadlines: any TaskDeadlines

    /// Creates a runner.
    /// - Parameters:
    ///   - runner: Runs each agent.
    ///   - poolSize: The most runs at once (at least 1).
    ///   - queueSize: The most tasks waiting for a slot (0 refuses any task the pool cannot start now).
    ///   - timeout: How long one run may take; `nil` for no limit. A submission may set its own.
    ///   - retainedTasks: How many settled tasks stay known by id.
    ///   - clock: Times timeouts, waits and retry backoff (tests pass a manual clock).
    ///   - jitter: Picks the wait before a retry from its ceiling; the default draws uniformly
    ///     from zero to the ceiling (full jitter).
    public init(
        runner: AgentRunner,
        poolSize: Int = 20,
        queueSize: Int = 1000,
        timeout: Duration? = .seconds(30),
        retainedTasks: Int = 10_000,
        clock: any Clock<Duration> = ContinuousClock(),
        jitter: @escaping @Sendable (Duration) -> Duration = AsyncRunner.fullJitter,
        logger: Logger = Logger(label: LogLabel.async)
    ) {
        self.runner = runner
        self.poolSize = max(1, poolSize)
        self.queueSize = max(0, queueSize)
        self.timeout = timeout
        self.retainedTasks = max(0, retainedTasks)
        self.clock = clock
        self.deadlines = makeDeadlines(clock)
        self.jitter = jitter
        self.logger = logger
        self.state = Mutex(State())
        (starts, startsContinuation) = AsyncStream.makeStream()
    }

    /// A wait drawn uniformly from zero to `ceiling`.
    public static let fullJitter: @Sendable (Duration) -> Duration = { ceiling in
        var random = SystemRandomNumberGenerator()
        return RetryBackoff.fullJitter(below: ceiling, using: &random)
    }

    // MARK: Submitting

    /// Submits a run of `agent` on `input` and returns its id at once.
    ///
    /// - Parameters:
    ///   - timeout: This task's run-time limit; `nil` takes the runner's ``timeout``.
    ///   - onComplete: Called once, when the task settles, with how it ended.
    /// - Throws: ``StreamingError/queueFull(capacity:)`` when the pool is busy and the queue
    ///   full; ``StreamingError/shutDown(_:)`` after ``shutdown(mode:)``.
    @discardableResult
    public func processAsync(
        _ agent: Agent,
        _ input: String,
        timeout: Duration? = nil,
        onComplete: (@Sendable (TaskOutcome) -> Void)? = nil
    ) throws(StreamingError) -> TaskID {
        try submit(agent, messages: [.user(input)], timeout: timeout, onComplete: onComplete).id
    }

    /// Submits a run of `agent` that continues a conversation; see ``processAsync(_:_:timeout:onComplete:)``.
    @discardableResult
    public func processAsync(
        _ agent: Agent,
        messages: [ChatMessage],
        timeout: Duration? = nil,
        onComplete: (@Sendable (TaskOutcome) -> Void)? = nil
    ) throws(StreamingError) -> TaskID {
        try submit(agent, messages: messages, timeout: timeout, onComplete: onComplete).id
    }

    func submit(
        _ agent: Agent,
        messages: [ChatMessage],
        timeout: Duration?,
        onComplete: (@Sendable (TaskOutcome) -> Void)?
    ) throws(StreamingError) -> TaskRecord {
        let record = try state.withLock { state throws(StreamingError) -> TaskRecord in
            guard !state.isShutDown else { throw StreamingError.shutDown("the async runner") }
            guard state.active < poolSize || state.waiting.count < queueSize else {
                state.rejected += 1
                throw StreamingError.queueFull(capacity: queueSize)
            }
            state.nextID += 1
            let record = TaskRecord(
                id: TaskID(state.nextID),
                agent: agent,
                messages: messages,
                timeout: timeout ?? self.timeout,
                onComplete: onComplete
            )
            state.tasks[record.id] = record
            if state.active < poolSize {
                state.active += 1
                startsContinuation.yield(record)
            } else {
                state.waiting.append(record)
            }
            return record
        }
        return record
    }

    // MARK: Inspecting

    /// Where task `id` is, or `nil` for an id this runner does not know (or has forgotten).
    public func taskStatus(_ id: TaskID) -> TaskStatus? {
        record(id)?.status
    }

    /// How task `id` ended; `nil` while it is pending or running, or for an unknown id.
    public func taskOutcome(_ id: TaskID) -> TaskOutcome? {
        record(id)?.outcome
    }

    /// The events of task `id`: every event so far, then the rest as they happen. The
    /// stream ends when the task completes, or throws the error it failed with
    /// (``StreamingError/cancelled`` or ``StreamingError/timeout(_:)`` when it was stopped).
    /// For a task that has settled already, it gives only the `complete` event (or the error).
    ///
    /// - Throws: ``StreamingError/notFound(_:)`` for an unknown id.
    public func events(of id: TaskID) throws(StreamingError) -> AsyncThrowingStream<StreamEvent, any Error> {
        guard let record = record(id) else { throw StreamingError.notFound("\(id)") }
        return record.events()
    }

    /// Whether ``shutdown(mode:)`` has begun: new tasks are refused with ``StreamingError/shutDown(_:)``.
    public var isShutDown: Bool {
        state.withLock { $0.isShutDown }
    }

    /// Counts and timings of the runner's tasks.
    public var stats: AsyncRunnerStats {
        state.withLock { state in
            AsyncRunnerStats(
                poolSize: poolSize,
                queueSize: queueSize,
                active: state.active,
                queued: state.waiting.count,
                submitted: Int(state.nextID),
                rejected: state.rejected,
                completed: state.completed,
                failed: state.failed,
                cancelled: state.cancelled,
                timedOut: state.timedOut,
                averageDuration: state.durations.average,
                p95Duration: state.durations.percentile(95)
            )
        }
    }

    func record(_ id: TaskID) -> TaskRecord? {
        state.withLock { $0.tasks[id] }
    }

    // MARK: Cancelling

    /// Cancels task `id`: a queued task settles as cancelled at once; a running one is
    /// stopped, with its model request, and settles as cancelled once it has stopped.
    ///
    /// - Returns: `false` when the id is unknown or the task has settled already.
    @discardableResult
    public func cancelTask(_ id: TaskID) -> Bool {
        guard let record = record(id), !record.status.isSettled else { return false }
        let wasQueued = state.withLock { state -> Bool in
            guard let index = state.waiting.firstIndex(where: { $0 === record }) else { return false }
            state.waiting.remove(at: index)
            return true
        }
        if wasQueued {
            settle(record, .cancelled, ran: nil)
            finishIfIdle()
        } else {
            record.requestStop(.cancelled)
        }
        return true
    }
}
