import StreamingApplication
import StreamingDomain
import Synchronization

/// Admits at most `limit` model requests at once; the others wait in arrival order, each
/// for at most `queueTimeout`, then fail with ``StreamingError/serverBusy(_:)``.
///
/// A waiter whose task is cancelled leaves the queue at once (its continuation is resumed by
/// the cancellation handler), and a released place goes straight to the oldest waiter, so
/// the count of requests in flight never passes `limit`. Everything is under one `Mutex`;
/// continuations are resumed outside it.
///
/// It also keeps the figures of ``ModelRequestStats``: waits, timeouts, time to first token.
final class RequestLimiter: Sendable {
    let limit: Int
    let queueTimeout: Duration
    /// Times the queue timeout; tests pass their own.
    private let clock: any Clock<Duration>
    private let state: Mutex<State>

    init(limit: Int, queueTimeout: Duration, clock: any Clock<Duration>) {
        self.limit = max(1, limit)
        self.queueTimeout = max(.zero, queueTimeout)
        self.clock = clock
        self.state = Mutex(State())
    }

    /// Waits for a place and returns it; release it with ``RequestPermit/release()``, or drop it.
    ///
    /// - Throws: ``StreamingError/serverBusy(_:)`` after `queueTimeout` without a place;
    ///   `CancellationError` when the calling task is cancelled while it waits.
    func acquire() async throws -> RequestPermit {
        let ticket: UInt64? = state.withLock { state in
            if state.inFlight < limit && state.waitingCount == 0 {
                state.inFlight += 1
                state.started += 1
                return nil
            }
            state.nextTicket += 1
            state.tickets[state.nextTicket] = .issued(outcome: nil)
            return state.nextTicket
        }
        if let ticket { try await wait(ticket) }
        return RequestPermit(limiter: self)
    }

    /// Waits for `ticket`'s turn, racing the queue timeout in a child task.
    private func wait(_ ticket: UInt64) async throws {
        let timeout = queueTimeout
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [clock] in
                do {
                    try await clock.sleep(for: timeout)
                } catch {
                    return  // the wait ended first: the place came, or the run was cancelled
                }
                self.resolve(ticket, with: .timedOut)
            }
            defer { group.cancelAll() }
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let early = state.withLock { $0.enqueue(ticket, continuation, limit: limit) }
                    if let early { continuation.resume(with: early) }
                }
            } onCancel: {
                self.resolve(ticket, with: .cancelled)
            }
        }
    }

    private enum Ending { case timedOut, cancelled }

    /// Ends `ticket`'s wait without a place, if it still waits.
    private func resolve(_ ticket: UInt64, with ending: Ending) {
        let error: any Error =
            switch ending {
            case .timedOut:
                StreamingError.serverBusy(
                    "all \(limit) connections to the model server stayed busy for \(queueTimeout) (provider.queue_timeout)")
            case .cancelled: CancellationError()
            }
        let waiter: CheckedContinuation<Void, any Error>? = state.withLock { state in
            switch state.tickets[ticket] {
            case .issued(outcome: nil):
                // Not in the queue yet: `enqueue` finds the outcome and fails at once.
                state.tickets[ticket] = .issued(outcome: .failure(error))
                state.count(ending)
                return nil
            case .waiting(let waiter):
                state.tickets[ticket] = nil
                state.waitingCount -= 1
                state.count(ending)
                return waiter.continuation
            case .issued(outcome: .some), nil:
                return nil  // ended already
            }
        }
        waiter?.resume(throwing: error)
    }

    /// Gives a place back: to the oldest waiter, or to the pool of free places.
    fileprivate func release() {
        let next: CheckedContinuation<Void, any Error>? = state.withLock { state in
            while let ticket = state.popOldest() {
                guard case .waiting(let waiter) = state.tickets.removeValue(forKey: ticket) else { continue }
                state.waitingCount -= 1
                state.admitWaiter(since: waiter.since)
                return waiter.continuation
            }
            state.inFlight -= 1
            return nil
        }
        next?.resume()
    }

    /// Counts one answer whose first delta arrived `elapsed` after the request began.
    func recordFirstToken(after elapsed: Duration) {
        state.withLock { state in
            state.firstTokens += 1
            state.totalTimeToFirstToken += elapsed
        }
    }

    var stats: ModelRequestStats {
        let now = ContinuousClock.now
        return state.withLock { state in
            var oldest = Duration.zero
            for ticket in state.order[state.head...] {
                if case .waiting(let waiter) = state.tickets[ticket] {
                    oldest = waiter.since.duration(to: now)
                    break
                }
            }
            return ModelRequestStats(
                maxConcurrent: limit,
                inFlight: state.inFlight,
                waiting: state.waitingCount,
                oldestWait: oldest,
                started: state.started,
                waited: state.waited,
                totalWait: state.totalWait,
                longestWait: state.longestWait,
                queueTimeouts: state.queueTimeouts,
                cancelledWhileWaiting: state.cancelledWhileWaiting,
                firstTokens: state.firstTokens,
                totalTimeToFirstToken: state.totalTimeToFirstToken
            )
        }
    }

    private struct Waiter {
        var continuation: CheckedContinuation<Void, any Error>
        var since: ContinuousClock.Instant
    }

    private enum Ticket {
        /// Issued, not yet queued; `outcome` is set when it timed out or was cancelled first.
        case issued(outcome: Result<Void, any Error>?)
        case waiting(Waiter)
    }

    private struct State {
        var inFlight = 0
        var waitingCount = 0
        var nextTicket: UInt64 = 0
        var tickets: [UInt64: Ticket] = [:]
        /// Queued tickets in arrival order from `head`; ended ones are skipped when popped.
        var order: [UInt64] = []
        var head = 0

        var started = 0
        var waited = 0
        var totalWait = Duration.zero
        var longestWait = Duration.zero
        var queueTimeouts = 0
        var cancelledWhileWaiting = 0
        var firstTokens = 0
        var totalTimeToFirstToken = Duration.zero

        /// Queues `ticket`, or returns what it ends with at once: a place freed since it was
        /// issued (and nobody queued before it), or the timeout or cancellation that came first.
        mutating func enqueue(
            _ ticket: UInt64, _ continuation: CheckedContinuation<Void, any Error>, limit: Int
        ) -> Result<Void, any Error>? {
            guard case .issued(let outcome) = tickets[ticket] else { return .failure(CancellationError()) }
            if let outcome {
                tickets[ticket] = nil
                return outcome
            }
            if inFlight < limit && waitingCount == 0 {
                tickets[ticket] = nil
                inFlight += 1
                started += 1
                return .success(())
            }
            tickets[ticket] = .waiting(Waiter(continuation: continuation, since: .now))
            order.append(ticket)
            waitingCount += 1
            return nil
        }

        mutating func popOldest() -> UInt64? {
            guard head < order.count else {
                order.removeAll(keepingCapacity: true)
                head = 0
                return nil
            }
            let ticket = order[head]
            head += 1
            if head >= 1024 && head * 2 >= order.count {
                order.removeFirst(head)
                head = 0
            }
            return ticket
        }

        mutating func admitWaiter(since: ContinuousClock.Instant) {
            let wait = since.duration(to: .now)
            started += 1
            waited += 1
            totalWait += wait
            longestWait = max(longestWait, wait)
        }

        mutating func count(_ ending: Ending) {
            switch ending {
            case .timedOut: queueTimeouts += 1
            case .cancelled: cancelledWhileWaiting += 1
            }
        }
    }
}

/// One admitted model request's place in its ``RequestLimiter``. It is given back once:
/// by ``release()`` when the answer ends, or when the last reference to it goes away (a
/// stream dropped unfinished).
final class RequestPermit: Sendable {
    private let limiter: RequestLimiter
    private let released = Atomic<Bool>(false)

    fileprivate init(limiter: RequestLimiter) {
        self.limiter = limiter
    }

    func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        limiter.release()
    }

    deinit { release() }
}
