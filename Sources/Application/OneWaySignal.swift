import Synchronization

/// A one-way flag tasks can wait on: set once, seen by every waiter, present and future.
///
/// The hub sets one on shutdown; the WebSocket client sets one when it is closed and one
/// when its run has ended.
public final class OneWaySignal: Sendable {
    private struct State {
        var isSet = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Whether the flag is set.
    public var isSet: Bool { state.withLock { $0.isSet } }

    /// Sets the flag and wakes every waiter; later calls do nothing.
    public func set() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.isSet else { return [] }
            state.isSet = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the flag is set, or when the calling task is cancelled.
    public func wait() async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.isSet || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Returns once the flag is set, even when the calling task is cancelled: for a waiter
    /// that has asked the setter to hurry up and must still see it finish.
    func waitIgnoringCancellation() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.isSet { return true }
                state.nextID += 1
                state.waiters[state.nextID] = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Returns after `duration`, or earlier once the flag is set (or the task is cancelled).
    public func wait(atMost duration: Duration) async {
        guard !isSet else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: duration) }
            group.addTask { await self.wait() }
            await group.next()
            group.cancelAll()
        }
    }
}
