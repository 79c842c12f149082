import Synchronization

/// The rendezvous behind ``EventBus/waitForEvent(_:timeout:clock:)``: the first of the
/// event, the timeout and the cancellation to arrive decides the result, exactly once,
/// whether it arrives before or after the waiting task has suspended.
final class EventWaiter: Sendable {
    private enum State {
        /// Not decided; the continuation once the waiting task has suspended.
        case waiting(CheckedContinuation<BusEvent, any Error>?)
        /// Decided before the waiting task suspended.
        case decided(Result<BusEvent, any Error>)
        /// Decided and handed over.
        case done
    }

    private let state = Mutex<State>(.waiting(nil))

    /// Suspends the waiting task here; resumes at once when already decided.
    func install(_ continuation: CheckedContinuation<BusEvent, any Error>) {
        let decided: Result<BusEvent, any Error>? = state.withLock { state in
            switch state {
            case .decided(let result):
                state = .done
                return result
            case .waiting:
                state = .waiting(continuation)
                return nil
            case .done:
                // Unreachable: `install` runs once, and only `install` reaches `.done` from
                // `.decided`; resuming the new continuation keeps even a misuse from hanging.
                return .failure(CancellationError())
            }
        }
        if let decided { continuation.resume(with: decided) }
    }

    /// Decides the result unless something else already did. Resumes outside the lock.
    func finish(_ result: Result<BusEvent, any Error>) {
        let continuation: CheckedContinuation<BusEvent, any Error>? = state.withLock { state in
            guard case .waiting(let continuation) = state else { return nil }
            if let continuation {
                state = .done
                return continuation
            }
            state = .decided(result)
            return nil
        }
        continuation?.resume(with: result)
    }
}
