import AsyncHTTPClient
import Foundation
import RAAFStreaming
import StreamingTestSupport
import StreamingWebSocket
import Testing

/// Every server path delivers a token before the model may yield the next: the model is
/// gated, the test releases one token, waits until the client holds it, then releases the
/// next. A transport or pipeline that holds text back (as the default re-chunking to 1,024
/// characters did) fails at the first token.
@Suite("Streaming is never held back", .serialized)
struct GatedStreamingTests {
    static let tokenCount = 6

    static func contentText(_ frames: [[String: Any]]) -> String {
        frames.filter { $0["type"] as? String == "response_chunk" }.compactMap { $0["content"] as? String }.joined()
    }

    /// Reads an SSE response in the background, keeping every frame.
    final class SSEFollower: Sendable {
        let frames = Locked<[String]>([])
        let task: Task<Void, any Error>

        init(_ response: HTTPClientResponse) {
            let frames = self.frames
            task = Task {
                var reader = EventReader(response)
                while let event = try await reader.next() {
                    frames.withLock { $0.append(event.data) }
                }
            }
        }

        var text: String {
            GatedStreamingTests.contentText(frames.value.compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            })
        }

        var lastType: String? {
            frames.value.last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }?["type"]
                as? String
        }
    }

    @Test("SSE: POST /v1/agents/{name}/stream, and a follower on GET /v1/streams/{id}")
    func serverSentEvents() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: Self.tokenCount))
        try await HTTPTestServer.with(provider: model) { server in
            let response = try await server.post(
                "/v1/agents/assistant/stream", json: HTTPTestServer.requestBody(input: "hi", id: "gated-sse"))
            #expect(response.status == .ok)
            let poster = SSEFollower(response)
            let follower = SSEFollower(try await server.get("/v1/streams/gated-sse"))
            try await model.releaseOneByOne("the SSE clients") { count in
                model.holds(poster.text, count) && model.holds(follower.text, count)
            }
            try await poster.task.value
            try await follower.task.value
            #expect(poster.lastType == "complete")
            #expect(follower.lastType == "complete")
            #expect(poster.text == model.answer)
        }
    }

    @Test("WebSocketClient.startAgentStream")
    func swiftClient() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: Self.tokenCount))
        try await HTTPTestServer.with(provider: model) { server in
            let client = WebSocketClient(configuration: .test(url: server.baseURL.replacingOccurrences(of: "http", with: "ws") + "/ws"))
            try await running(client) {
                let text = Locked("")
                let events = try client.startAgentStream(agent: "assistant", input: "hi")
                let reader = Task {
                    for try await event in events {
                        if let content = event.content, !event.isComplete { text.withLock { $0 += content } }
                    }
                }
                try await model.releaseOneByOne("the Swift client") { model.holds(text.value, $0) }
                try await reader.value
            }
        }
    }

    @Test("WebSocket agent_stream and resume, with Python's websockets as the client", .needsPythonWebSockets)
    func webSocket() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: Self.tokenCount))
        try await HTTPTestServer.with(provider: model) { server in
            let url = server.baseURL.replacingOccurrences(of: "http", with: "ws") + "/ws"
            let starter = try BackgroundScenario("print_frames", url: url, ["start", "gated-ws", "assistant", "hi"])
            try await waitUntil("the stream to start") { server.hub.streams.stream("gated-ws") != nil }
            let resumer = try BackgroundScenario("print_frames", url: url, ["resume", "gated-ws"])
            @Sendable func text(_ scenario: BackgroundScenario) -> String {
                Self.contentText(scenario.child.outputSoFar.split(separator: "\n").compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                })
            }
            do {
                try await model.releaseOneByOne("the websockets clients (agent_stream and resume)") { count in
                    model.holds(text(starter), count) && model.holds(text(resumer), count)
                }
            } catch {
                await starter.stop()
                await resumer.stop()
                throw error
            }
            for scenario in [starter, resumer] {
                let output = try await scenario.finish()
                #expect(output.status == 0, "\(output.transcript)")
                #expect(output.stdout.contains("\"type\": \"complete\""))
            }
        }
    }

    @Test("a chat room's agent answer (response_chunk), with Python's websockets as the member", .needsPythonWebSockets)
    func chatRoom() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: Self.tokenCount))
        try await HTTPTestServer.with(provider: model) { server in
            let url = server.baseURL.replacingOccurrences(of: "http", with: "ws") + "/ws"
            let member = try BackgroundScenario("print_chat", url: url, ["gated-room"])
            do {
                try await model.releaseOneByOne("the room member") { count in
                    let frames = member.child.outputSoFar.split(separator: "\n").compactMap {
                        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                    }
                    return model.holds(Self.contentText(frames), count)
                }
            } catch {
                await member.stop()
                throw error
            }
            let output = try await member.finish()
            #expect(output.status == 0, "\(output.transcript)")
        }
    }
}
