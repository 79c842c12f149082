import StreamingApplication
import StreamingDomain
import Testing

@testable import StreamingWebSocket

/// Requests and their replies through the client's own machinery, many times over.
@Suite struct ClientRequestTests {
    /// Each refusal reaches its caller intact, as the typed error the server's code names;
    /// the messages are built at run time, so an over-released string would show here.
    @Test func refusalsReachTheirCallersIntact() async throws {
        let client = WebSocketClient(configuration: .init(url: "ws://127.0.0.1:9/ws"))
        for round in 0..<2000 {
            let message = "authenticate first, round " + String(round)
            let refuser = Task {
                while client.core.withLock({ $0.requests.isEmpty }) { await Task.yield() }
                let frame = ErrorFrame(code: "unauthorized", message: message, requestType: "subscribe")
                client.mutate { core, effects in core.receive(.error(frame), &effects) }
            }
            await #expect(throws: StreamingError.unauthorized("authenticate first, round " + String(round))) {
                try await client.subscribe("channel-\(round)")
            }
            await refuser.value
        }
        // Refused subscriptions are not kept for the next connection.
        #expect(client.core.withLock { $0.channels.isEmpty })
    }

    @Test func requestsTimeOut() async throws {
        var configuration = WebSocketClient.Configuration(url: "ws://127.0.0.1:9/ws")
        configuration.requestTimeout = .milliseconds(50)
        let client = WebSocketClient(configuration: configuration)
        await #expect(throws: StreamingError.timeout("no reply to subscribe within 0.05 seconds")) {
            try await client.subscribe("news")
        }
        #expect(client.core.withLock { $0.requests.isEmpty })
    }
}
