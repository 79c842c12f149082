import RAAFStreaming
import StreamingApplication
import StreamingDomain
import StreamingTestSupport
import StreamingWebSocket
import Testing

/// The server's `server_busy` refusals reach the Swift client as ``StreamingError/serverBusy(_:)``
/// (a case a caller can match and retry on), not as a generic `.server(code:message:)`: at the
/// channel limit, at the streams-per-connection limit, and when the model provider's
/// connections stayed busy past `provider.queue_timeout`.
@Suite struct ClientServerBusyTests {
    /// The error `body` throws, or nil.
    static func error(_ body: () async throws -> Void) async -> (any Error)? {
        do {
            try await body()
            return nil
        } catch {
            return error
        }
    }

    @Test("a subscription past maxChannelsPerConnection throws serverBusy")
    func channelLimit() async throws {
        try await TestServer.run(hubOptions: ConnectionHubOptions(maxChannelsPerConnection: 1)) { server in
            let client = WebSocketClient(configuration: .test(url: server.url))
            try await running(client) {
                try await client.subscribe("first")
                let refusal = await Self.error { try await client.subscribe("second") }
                #expect(refusal as? StreamingError == .serverBusy("at most 1 channels per connection"))
                // The first subscription still holds.
                try await client.unsubscribe("first")
            }
        }
    }

    @Test("an agent stream past maxStreamsPerConnection ends with serverBusy; the running one is untouched")
    func streamLimit() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: 2))
        try await TestServer.run(hubOptions: ConnectionHubOptions(maxStreamsPerConnection: 1), provider: model) { server in
            let client = WebSocketClient(configuration: .test(url: server.url))
            try await running(client) {
                let running = try client.startAgentStream(agent: "assistant", input: "Hi")
                try await waitUntil("the first stream to run") { server.hub.streams.stats.active == 1 }
                let refused = try client.startAgentStream(agent: "assistant", input: "Hi again")
                let refusal = await Self.error { for try await _ in refused {} }
                guard case .serverBusy? = refusal as? StreamingError else {
                    Issue.record("expected serverBusy, got \(String(describing: refusal))")
                    return
                }
                model.releaseAll()
                var text = ""
                for try await event in running { text += event.content ?? "" }
                #expect(text.contains(model.answer))
            }
        }
    }

    @Test("a run whose model provider stayed busy past its queue timeout ends with serverBusy at the client")
    func modelProviderBusy() async throws {
        try await TestServer.run(provider: BusyModel()) { server in
            let client = WebSocketClient(configuration: .test(url: server.url))
            try await running(client) {
                let stream = try client.startAgentStream(agent: "assistant", input: "Hi")
                let failure = await Self.error { for try await _ in stream {} }
                guard case .serverBusy(let message)? = failure as? StreamingError else {
                    Issue.record("expected serverBusy, got \(String(describing: failure))")
                    return
                }
                #expect(message.contains(BusyModel.detail))
                #expect((failure as? StreamingError)?.isRetryable == true)
            }
        }
    }
}

/// A model provider whose every request fails as ``OpenAIProvider`` fails one that waited
/// `provider.queue_timeout` for a connection: ``StreamingError/serverBusy(_:)``.
struct BusyModel: ModelProvider {
    static let detail = "all 4 model connections stayed busy for 0.5 s"

    func stream(_ request: ModelRequest) async throws -> ModelResponseStream {
        throw StreamingError.serverBusy(Self.detail)
    }
}
