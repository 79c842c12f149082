import StreamingApplication
import StreamingDomain

extension WebSocketClient {
    /// Sends a request (or leaves it to the next handshake) and waits for its reply, at most
    /// ``Configuration/requestTimeout``.
    ///
    /// The request is registered under the same lock that queues it, so a reply can never
    /// arrive before anyone waits for it: a reply that beats the caller is kept for it.
    func request(_ kind: RequestKind, prepare: @Sendable (inout ClientCore) -> Void = { _ in })
        async throws(StreamingError) -> String?
    {
        let id = try mutate { core, effects throws(StreamingError) -> Int? in
            try core.checkOpen()
            prepare(&core)
            return try core.begin(kind, &effects)
        }
        guard let id else { return nil }
        let timeout = configuration.requestTimeout
        do {
            return try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask { try await self.reply(to: id) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw StreamingError.timeout("no reply to \(kind.requestType) within \(timeout)")
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
        } catch let error as StreamingError {
            _ = core.withLock { $0.detach(id) }
            throw error
        } catch {
            _ = core.withLock { $0.detach(id) }
            throw .cancelled
        }
    }

    /// Waits for the reply to request `id`.
    private func reply(to id: Int) async throws -> String? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: ReplyContinuation) in
                let ready = core.withLock { core in
                    core.attach(continuation, to: id, isCancelled: Task.isCancelled)
                }
                if let ready { continuation.resume(with: ready.mapError { $0 as any Error }) }
            }
        } onCancel: {
            core.withLock { $0.detach(id) }?.resume(throwing: CancellationError())
        }
    }
}
