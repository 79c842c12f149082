import Foundation
import RAAFStreaming
import StreamingTestSupport
import StreamingWebSocket
import Testing

/// Chat rooms through the Swift client, against the real server (`raaf-streaming serve`'s
/// ``RealtimeServer``): the protocol's custom types go out with `send(type:fields:)` and come
/// back as ``ServerMessage/other(type:fields:)``.
@Suite struct ChatClientTests {
    @Test("two Swift clients in a room: both get the question, the streamed answer and the agent's message")
    func twoClientsAndTheAgent() async throws {
        try await HTTPTestServer.with { server in
            let url = server.baseURL.replacingOccurrences(of: "http://", with: "ws://") + "/ws"
            let alice = WebSocketClient(configuration: .test(url: url))
            let bob = WebSocketClient(configuration: .test(url: url))
            let aliceProbe = ClientProbe(alice)
            let bobProbe = ClientProbe(bob)
            try await running(alice) {
                try await running(bob) {
                    try await waitUntil("both to connect") { alice.clientID != nil && bob.clientID != nil }
                    try alice.send(type: "create_room", fields: ["room": "swift", "agent": "assistant"])
                    try await waitUntil("room_created") { !aliceProbe.chatFrames("room_created").isEmpty }
                    try alice.send(type: "join_room", fields: ["room": "swift", "user": "alice"])
                    try bob.send(type: "join_room", fields: ["room": "swift", "user": "bob"])
                    try await waitUntil("both to join") {
                        !aliceProbe.chatFrames("room_joined").isEmpty && !bobProbe.chatFrames("room_joined").isEmpty
                    }
                    try alice.send(type: "chat_message", fields: ["room": "swift", "content": "What's the weather in Oslo?"])
                    for probe in [aliceProbe, bobProbe] {
                        try await waitUntil("the agent's answer") {
                            probe.chatFrames("chat_message").contains { $0["sender"] == "agent" }
                        }
                        let messages = probe.chatFrames("chat_message")
                        #expect(messages.map { $0["seq"] } == [1, 2])
                        #expect(messages.map { $0["user"] } == ["alice", "assistant"])
                        #expect(messages[1]["content"]?.stringValue?.contains("Oslo") == true)
                        #expect(!probe.chatFrames("agent_typing_start").isEmpty)
                        #expect(probe.chatFrames("tool_call").first?["name"] == "get_weather")
                        #expect(!probe.chatFrames("agent_typing_stop").isEmpty)
                    }
                    #expect(server.server.chat.stats.totalMessages == 2)
                }
            }
        }
    }
}

extension ClientProbe {
    /// The fields of every frame of a chat `type` received so far.
    func chatFrames(_ type: String) -> [[String: JSONValue]] {
        messages.value.compactMap { message in
            if case .other(type, let fields) = message { return fields }
            return nil
        }
    }
}
