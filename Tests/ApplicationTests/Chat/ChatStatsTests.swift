import StreamingApplication
import StreamingDomain
import StreamingTestSupport
import Testing

@Suite("Chat stats", .timeLimit(.minutes(1)))
struct ChatStatsTests {
    @Test("stats and chat_stats: clients, sessions, streams, agents, messages, and each room's figures")
    func stats() async throws {
        try await withChat { chat in
            let alice = try chat.client()
            let bob = try chat.client()
            _ = try chat.client()  // connected, in no room
            try alice.create("general")
            try alice.create("random")
            try alice.join("general", as: "alice")
            try alice.join("random", as: "alice")
            try bob.join("general", as: "bob")
            alice.say("one", in: "general")
            bob.say("two", in: "general")
            alice.say("three", in: "random")

            let stats = chat.chat.stats
            #expect(stats.connectedClients == 3)
            #expect(stats.activeSessions == 3)
            #expect(stats.activeStreams == 0)
            #expect(stats.availableAgents == ["assistant", "sales", "support"])
            #expect(stats.totalMessages == 3)
            #expect(stats.rooms == [
                ChatStats.RoomStats(name: "general", participants: 2, messages: 2),
                ChatStats.RoomStats(name: "random", participants: 1, messages: 1),
            ])

            bob.send("chat_stats", [:])
            #expect(bob.sink.last == [
                "type": "chat_stats",
                "connected_clients": 3,
                "active_sessions": 3,
                "active_streams": 0,
                "available_agents": ["assistant", "sales", "support"],
                "total_messages": 3,
                "rooms": [
                    ["room": "general", "participants": 2, "messages": 2],
                    ["room": "random", "participants": 1, "messages": 1],
                ],
            ])
        }
    }
}
