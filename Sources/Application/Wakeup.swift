import Synchronization

/// Wakes the one task that waits on it; a wake while nobody waits is kept for the next wait.
///
/// The chat service's store writer and typing sweep, and a cluster broadcaster's publisher,
/// sleep on one each, so a handler (which must not wait) can tell them there is work with a
/// cheap, non-blocking call.
public final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    /// Wakes the waiter, or the next one to wait.
    public func wake() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns after the next ``wake()`` (at once if one came since the last wait).
    ///
    /// - Parameter cancellable: Whether cancelling the waiting task also ends the wait. The
    ///   store writer waits without it: it must keep draining writes while the service's
    ///   answers, cancelled at shutdown, still post their last messages.
    public func wait(cancellable: Bool) async {
        if cancellable {
            await withTaskCancellationHandler {
                await park(cancellable: true)
            } onCancel: {
                let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                    defer { state.waiter = nil }
                    return state.waiter
                }
                waiter?.resume()
            }
        } else {
            await park(cancellable: false)
        }
    }

    private func park(cancellable: Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.pending {
                    state.pending = false
                    return true
                }
                // Checked under the lock: a cancel that came before this stored the waiter
                // found nothing to resume.
                if cancellable && Task.isCancelled { return true }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
