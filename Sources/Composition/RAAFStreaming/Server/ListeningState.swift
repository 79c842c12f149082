import NIOCore
import Synchronization

/// Where a server listens, once it does, and the tasks waiting for that.
final class ListeningState: Sendable {
    /// A bound address: the host as the socket reports it, and the port.
    struct Address: Sendable, Equatable {
        var host: String
        var port: Int

        /// `http://HOST:PORT`, with an IPv6 host in brackets.
        var url: String {
            host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
        }
    }

    private struct State {
        var address: Address?
        var end: Result<Void, any Error>?
        var waiters: [Int: CheckedContinuation<Address, any Error>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    var address: Address? { state.withLock { $0.address } }

    /// The server bound `address` (NIO's view of the listening socket).
    func bound(to address: SocketAddress?) {
        guard let port = address?.port else { return }
        let bound = Address(host: address?.ipAddress ?? "127.0.0.1", port: port)
        let waiters = state.withLock { state in
            state.address = bound
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters.values { waiter.resume(returning: bound) }
    }

    /// The server stopped, with `error` or cleanly: waiters that are still waiting fail.
    func ended(_ error: (any Error)?) {
        let waiters = state.withLock { state in
            state.end = error.map { .failure($0) } ?? .success(())
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters.values { waiter.resume(throwing: error ?? RealtimeServerError.stoppedBeforeListening) }
    }

    /// The bound address, as soon as there is one; throws `CancellationError` when the
    /// waiting task is cancelled first.
    func wait() async throws -> Address {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let outcome = state.withLock { state -> Result<Address, any Error>? in
                    if let address = state.address { return .success(address) }
                    switch state.end {
                    case .failure(let error): return .failure(error)
                    case .success: return .failure(RealtimeServerError.stoppedBeforeListening)
                    case nil:
                        if Task.isCancelled { return .failure(CancellationError()) }
                        state.waiters[id] = continuation
                        return nil
                    }
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }
}
