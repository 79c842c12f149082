import StreamingDomain
import Synchronization

/// One submitted task of an ``AsyncRunner``: what to run, and what became of it.
///
/// Its state has its own lock, so runs appending events do not contend on the runner's.
final class TaskRecord: Sendable {
    let id: TaskID
    let agent: Agent
    let messages: [ChatMessage]
    let timeout: Duration?
    let onComplete: (@Sendable (TaskOutcome) -> Void)?
    /// Set by ``requestStop(_:)``; the run's watcher waits on it.
    let stopRequested = OneWaySignal()
    /// Set once the task has settled; waiters wait on it.
    let settled = OneWaySignal()

    typealias Observer = AsyncThrowingStream<StreamEvent, any Error>.Continuation

    private struct State {
        var status = TaskStatus.pending
        var outcome: TaskOutcome?
        /// Every event of the run so far, so an observer that comes late sees the whole
        /// run. Kept only while the task runs; its size is the run's own output.
        var events: [StreamEvent] = []
        var lastSeq = 0
        /// How the task ends when it is stopped before its run finishes.
        var stopOutcome: TaskOutcome?
        var observers: [Int: Observer] = [:]
        var nextObserver = 0
    }

    private let state = Mutex(State())

    init(
        id: TaskID,
        agent: Agent,
        messages: [ChatMessage],
        timeout: Duration?,
        onComplete: (@Sendable (TaskOutcome) -> Void)?
    ) {
        self.id = id
        self.agent = agent
        self.messages = messages
        self.timeout = timeout
        self.onComplete = onComplete
    }

    var status: TaskStatus { state.withLock { $0.status } }
    var outcome: TaskOutcome? { state.withLock { $0.outcome } }

    /// Moves a pending task to running; `false` if it was settled (cancelled) meanwhile.
    func markRunning() -> Bool {
        state.withLock { state in
            guard state.status == .pending else { return false }
            state.status = .running
            return true
        }
    }

    /// Asks the run to stop, and to end as `outcome` (``TaskOutcome/cancelled`` or
    /// ``TaskOutcome/timedOut(after:)``); the first request decides.
    func requestStop(_ outcome: TaskOutcome) {
        state.withLock { state in
            if state.stopOutcome == nil { state.stopOutcome = outcome }
        }
        stopRequested.set()
    }

    /// The outcome asked for by ``requestStop(_:)``; cancelled when none was.
    var stopOutcome: TaskOutcome {
        state.withLock { $0.stopOutcome } ?? .cancelled
    }

    /// Records an event of the run and hands it to every observer.
    func record(_ event: StreamEvent) {
        state.withLock { state in
            state.events.append(event)
            state.lastSeq = event.seq
            for observer in state.observers.values { observer.yield(event) }
        }
    }

    /// Settles the task with `outcome`; `false` if it had settled already.
    ///
    /// `counted` runs first (the runner counts the outcome there), so that anyone woken
    /// next sees the counts include this task; then observers get the end of the stream,
    /// waiters wake, and the completion handler runs.
    @discardableResult
    func settle(_ outcome: TaskOutcome, counted: () -> Void) -> Bool {
        let observers = state.withLock { state -> [Observer]? in
            guard !state.status.isSettled else { return nil }
            state.status = outcome.status
            state.outcome = outcome
            state.events = []
            defer { state.observers = [:] }
            return Array(state.observers.values)
        }
        guard let observers else { return false }
        counted()
        for observer in observers { Self.finish(observer, with: outcome) }
        settled.set()
        onComplete?(outcome)
        return true
    }

    /// The task's events: those so far, then the rest as they happen, ending when it settles.
    func events() -> AsyncThrowingStream<StreamEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<StreamEvent, any Error>.makeStream()
        let ended = state.withLock { state -> (outcome: TaskOutcome, lastSeq: Int)? in
            if let outcome = state.outcome { return (outcome, state.lastSeq) }
            for event in state.events { continuation.yield(event) }
            let key = state.nextObserver
            state.nextObserver += 1
            state.observers[key] = continuation
            continuation.onTermination = { [weak self] _ in
                _ = self?.state.withLock { $0.observers.removeValue(forKey: key) }
            }
            return nil
        }
        if let ended {
            // Settled already: the run's events are gone, its result is not.
            if case .completed(let result) = ended.outcome {
                continuation.yield(StreamEvent(seq: ended.lastSeq, kind: .complete(result)))
            }
            Self.finish(continuation, with: ended.outcome)
        }
        return stream
    }

    private static func finish(_ observer: Observer, with outcome: TaskOutcome) {
        do {
            _ = try outcome.get()
            observer.finish()
        } catch {
            observer.finish(throwing: error)
        }
    }
}
