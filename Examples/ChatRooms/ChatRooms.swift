// Chat rooms where people and agents talk, in one process on the offline model: the server of
// `raaf-streaming serve` (chat page on /, WebSocket on /ws), and two people as WebSocket
// clients. Alice asks, both watch the agent answer token by token, the agent hands the room to
// support, and the room's figures are printed. Exits by itself.
import Foundation
import RAAFStreaming
import StreamingWebSocket

@main
struct ChatRoomsExample {
    static func main() async throws {
        // Rooms in memory for the example; the default (`CHAT_STORE=sqlite:PATH`) keeps their
        // history across restarts.
        let system = try Streaming.configure(environment: [:], provider: ScriptedModelProvider()) { config in
            config.chat.store = .memory
            config.logging.level = .warning
            // The answers stream at a real model's pace (RAAF_SIMULATION_DELAY_MS=0: instant).
            try config.paceForPeople()
        }
        let server = try RealtimeServer(system: system, host: "127.0.0.1", port: 0, handlesSignals: false)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await server.run() }
            let port = try await server.waitUntilListening()
            say("Chat page on http://127.0.0.1:\(port)/\n\n")
            try await talk(url: "ws://127.0.0.1:\(port)/ws")

            let stats = server.chat.stats
            say("\n\(stats.connectedClients) connected, \(stats.totalMessages) messages, agents \(stats.availableAgents)\n")
            for room in stats.rooms { say("room \(room.name): \(room.participants) here, \(room.messages) messages\n") }
            await server.shutdown()
            try await tasks.waitForAll()
        }
        try await system.shutdown()
    }

    static func talk(url: String) async throws {
        try await WebSocketClient.withConnection(.init(url: url)) { alice in
            try await WebSocketClient.withConnection(.init(url: url)) { bob in
                // Each sees the room through a callback; an AsyncStream makes it something to await.
                var aliceSees = chatFrames(of: alice).makeAsyncIterator()
                var bobSees = chatFrames(of: bob).makeAsyncIterator()

                // Chat frames go out with `send(type:fields:)`: the protocol is in docs/PROTOCOL.md.
                try alice.send(type: "create_room", fields: ["room": "lobby", "agent": "assistant"])
                try alice.send(type: "join_room", fields: ["room": "lobby", "user": "alice"])
                try alice.send(type: "add_agent", fields: ["room": "lobby", "agent": "support"])
                while let (type, _) = await aliceSees.next(), type != "agent_added" {}
                try bob.send(type: "join_room", fields: ["room": "lobby", "user": "bob"])
                while let (type, _) = await bobSees.next(), type != "room_joined" {}

                for question in ["What's the weather in Lisbon?", "Please transfer me to support"] {
                    try alice.send(type: "chat_message", fields: ["room": "lobby", "content": .string(question)])
                    while let (type, fields) = await bobSees.next() {
                        switch type {
                        case "chat_message" where fields["sender"] == "user":
                            say("\(fields["user"]?.stringValue ?? ""): \(fields["content"]?.stringValue ?? "")\n")
                        case "agent_typing_start": say("\(fields["agent"]?.stringValue ?? "agent"): ")
                        case "response_chunk": say(fields["content"]?.stringValue ?? "")
                        case "tool_call": say("[\(fields["name"]?.stringValue ?? "tool")] ")
                        case "agent_handoff":
                            say("[handoff \(fields["from"]?.stringValue ?? "") → \(fields["to"]?.stringValue ?? "")]\n")
                        default: break
                        }
                        if type == "chat_message", fields["sender"] == "agent" {
                            say("\n")
                            break
                        }
                    }
                }
            }
        }
    }

    /// The chat frames `client` receives, as an AsyncSequence of (type, fields).
    static func chatFrames(of client: WebSocketClient) -> AsyncStream<(String, [String: JSONValue])> {
        let (frames, continuation) = AsyncStream<(String, [String: JSONValue])>.makeStream()
        client.onMessage { message in
            switch message {
            case .other(let type, let fields): continuation.yield((type, fields))
            case .error(let error): say("error: \(error)\n")
            default: break
            }
        }
        return frames
    }
}

/// Writes to standard output unbuffered, so each token shows the moment it arrives.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
