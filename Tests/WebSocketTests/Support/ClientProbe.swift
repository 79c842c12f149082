import RAAFStreaming
import StreamingTestSupport
import StreamingWebSocket

/// Records what a ``WebSocketClient`` reports through its callbacks, for tests to wait on.
final class ClientProbe: Sendable {
    let connects = Locked<[String]>([])
    let disconnections = Locked<[Disconnection]>([])
    let reconnectAttempts = Locked<[Int]>([])
    let messages = Locked<[ServerMessage]>([])

    init(_ client: WebSocketClient) {
        client.onConnect { [connects] id in connects.withLock { $0.append(id) } }
        client.onDisconnect { [disconnections] info in disconnections.withLock { $0.append(info) } }
        client.onReconnect { [reconnectAttempts] attempt in reconnectAttempts.withLock { $0.append(attempt) } }
        client.onMessage { [messages] message in messages.withLock { $0.append(message) } }
    }

    /// The `data` of every channel message received on `channel`, in order.
    func data(on channel: String) -> [JSONValue] {
        messages.value.compactMap { message in
            if case .message(channel, let data, _) = message { data } else { nil }
        }
    }
}

extension WebSocketClient.Configuration {
    /// A test configuration: fast reconnects, generous request timeouts.
    static func test(
        url: String, maxAttempts: Int? = nil, maxQueuedMessages: Int = 100, compression: WebSocketClient.Compression? = nil
    ) -> Self {
        WebSocketClient.Configuration(
            url: url,
            reconnect: .exponential(maxAttempts: maxAttempts, initialDelay: .milliseconds(20), maxDelay: .milliseconds(100)),
            maxQueuedMessages: maxQueuedMessages,
            compression: compression,
            requestTimeout: .seconds(20)
        )
    }
}

/// Runs `client` in a child task for the duration of `body`, then closes it.
func running<Result: Sendable>(_ client: WebSocketClient, _ body: () async throws -> Result) async throws -> Result {
    try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
        group.addTask { try await client.run() }
        do {
            let result = try await body()
            await client.close()
            try await group.waitForAll()
            return result
        } catch {
            await client.close()
            throw error
        }
    }
}
