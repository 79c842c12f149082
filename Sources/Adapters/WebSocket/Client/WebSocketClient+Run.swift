import Logging
import StreamingApplication
import StreamingDomain

extension WebSocketClient {
    /// Connects, and reconnects after every drop, until ``close()`` is called or the
    /// reconnect policy gives up.
    ///
    /// This is the client's only long-lived work, and the caller owns it: run it in a task
    /// group, a `ServiceGroup`, or through ``withConnection(_:logger:_:)``. Before each
    /// reconnect it waits a backoff drawn from ``Configuration/reconnect`` (none after a close
    /// with 1012, service restart: the server drains for a deploy) and calls
    /// ``onReconnect(_:)``. Cancelling the calling task closes the client like ``close()``.
    ///
    /// When it returns or throws, the client is closed: waiting requests and agent streams
    /// have ended, and later calls throw. Called after ``close()``, it returns at once.
    /// - Throws: ``StreamingDomain/StreamingError/connection(_:)`` once the last allowed
    ///   attempt failed (also reported to ``onDisconnect(_:)``), or
    ///   ``StreamingDomain/StreamingError/invalidInput(_:)`` when `run()` is already running.
    public func run() async throws(StreamingError) {
        guard try core.withLock({ core throws(StreamingError) in try core.startRunning() }) else { return }
        let outcome = await withTaskCancellationHandler {
            await connectRepeatedly()
        } onCancel: {
            let effects = self.core.withLock { core -> [ClientEffect] in
                var effects: [ClientEffect] = []
                _ = core.requestClose(&effects)
                return effects
            }
            self.perform(effects)
            self.closeRequested.set()
        }
        mutate { core, effects in
            switch outcome {
            case .success: core.terminate(.connection("the client is closed"), pending: .cancelled, &effects)
            case .failure(let error): core.terminate(error, pending: error, &effects)
            }
        }
        stopped.set()
        if case .failure(let error) = outcome { throw error }
    }

    /// Runs `body` with a client connected to `configuration.url`, then closes it.
    ///
    /// The connection runs in a child task for as long as `body` does; when `body` returns or
    /// throws, the client closes (1000) and the child ends, so nothing outlives the call.
    public static func withConnection<Result>(
        _ configuration: Configuration,
        logger: Logger = Logger(label: LogLabel.websocket + ".client"),
        _ body: (WebSocketClient) async throws -> Result
    ) async throws -> Result {
        let client = WebSocketClient(configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask { try await client.run() }
            do {
                let result = try await body(client)
                await client.close()
                return result
            } catch {
                await client.close()
                throw error
            }
        }
    }

    private var isClosing: Bool { core.withLock { $0.isClosing } }

    /// The reconnect loop; ends with success after `close()`, with the final error otherwise.
    private func connectRepeatedly() async -> Result<Void, StreamingError> {
        let policy = configuration.reconnect
        var random = SystemRandomNumberGenerator()
        // 0 for the first connect; n for the n-th reconnect attempt since a connection opened.
        var attempt = 0
        var lastError: StreamingError?
        // How the server closed the last connection: 1012 means reconnect now.
        var lastCloseCode: CloseCode?
        while !isClosing {
            if attempt > 0 {
                guard policy.allows(attempt: attempt) else {
                    let error = Self.finalError(attempts: attempt - 1, lastError: lastError)
                    disconnected(Disconnection(error: error, willReconnect: false))
                    return .failure(error)
                }
                let delay = policy.delay(beforeAttempt: attempt, afterClose: lastCloseCode, using: &random)
                if delay > .zero { await closeRequested.wait(atMost: delay) }
                if isClosing { break }
                let handlers = callbacks.withLock { $0.reconnect }
                for handler in handlers { handler(attempt) }
            }
            switch await connectOnce() {
            case .failedToConnect(let error):
                logger.debug("connect failed", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                lastError = error
                lastCloseCode = nil
                attempt += 1
            case .ended(let closeCode, let error):
                let closing = isClosing
                let willReconnect = !closing && policy.allows(attempt: 1)
                disconnected(Disconnection(closeCode: closeCode, error: error, willReconnect: willReconnect))
                if !closing, !willReconnect {
                    return .failure(error ?? .connection("the server closed the connection (\(closeCode.map(\.description) ?? "no code"))"))
                }
                lastError = error
                lastCloseCode = closeCode
                attempt = 1
            }
        }
        return .success(())
    }

    private func disconnected(_ disconnection: Disconnection) {
        let handlers = callbacks.withLock { $0.disconnect }
        for handler in handlers { handler(disconnection) }
    }

    static func finalError(attempts: Int, lastError: StreamingError?) -> StreamingError {
        let reason = lastError.map { ": \($0)" } ?? ""
        if attempts == 0 { return .connection("could not connect\(reason)") }
        return .connection("gave up after \(attempts) reconnect attempt\(attempts == 1 ? "" : "s")\(reason)")
    }
}
