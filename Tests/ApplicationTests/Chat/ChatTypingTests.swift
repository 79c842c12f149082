import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Testing

@Suite("Chat typing indicators", .timeLimit(.minutes(1)))
struct ChatTypingTests {
    @Test("typing_start and typing_stop reach the other members, once per start and stop")
    func startAndStop() async throws {
        try await withChat { chat in
            let alice = try chat.client()
            let bob = try chat.client()
            try alice.create("general")
            try alice.join("general", as: "alice")
            try bob.join("general", as: "bob")
            alice.sink.clear()

            alice.send("typing_start", ["room": "general"])
            alice.send("typing_start", ["room": "general"])  // a keystroke later: no new frame
            #expect(bob.frames("typing_start") == [
                ["type": "typing_start", "room": "general", "client_id": .string(alice.id.rawValue), "user": "alice"]
            ])
            #expect(alice.sink.messages.isEmpty)
            let carol = try chat.client()
            let joined = try carol.join("general", as: "carol")
            #expect(joined["typing"] == [["client_id": .string(alice.id.rawValue), "user": "alice"]])

            alice.send("typing_stop", ["room": "general"])
            alice.send("typing_stop", ["room": "general"])
            #expect(bob.frames("typing_stop") == [
                ["type": "typing_stop", "room": "general", "client_id": .string(alice.id.rawValue), "user": "alice"]
            ])

            // Sending a message ends typing too.
            bob.send("typing_start", ["room": "general"])
            bob.say("hi", in: "general")
            #expect(alice.frames("typing_stop").map { $0["user"] } == ["bob"])
            #expect(alice.frames("typing_stop").first?["expired"] == nil)

            let outsider = try chat.client()
            outsider.send("typing_start", ["room": "general"])
            #expect(outsider.lastError?["code"] == "forbidden")
        }
    }

    @Test("an indicator without a stop expires after typing_timeout")
    func expiry() async throws {
        let clock = ManualClock()
        try await withChat(options: ChatOptions(typingTimeout: .seconds(5)), clock: clock) { chat in
            let alice = try chat.client()
            let bob = try chat.client()
            try alice.create("general")
            try alice.join("general", as: "alice")
            try bob.join("general", as: "bob")

            alice.send("typing_start", ["room": "general"])
            try await clock.waitForSleepers(1)
            clock.advance(by: .seconds(3))
            alice.send("typing_start", ["room": "general"])  // still typing: the expiry moves to 8 s
            try await clock.waitForSleepers(1)
            clock.advance(by: .seconds(2))
            try await clock.waitForSleepers(1)
            #expect(bob.frames("typing_stop").isEmpty)

            clock.advance(by: .seconds(3))
            try await bob.waitFor("typing_stop")
            #expect(bob.frames("typing_stop") == [
                [
                    "type": "typing_stop", "room": "general", "client_id": .string(alice.id.rawValue), "user": "alice",
                    "expired": true,
                ]
            ])
            let joined = try chat.client().join("general", as: "carol")
            #expect(joined["typing"] == [])
        }
    }

    @Test("with typing indicators off, typing_start and typing_stop are unknown_type")
    func disabled() async throws {
        try await withChat(options: ChatOptions(enableTypingIndicators: false)) { chat in
            let alice = try chat.client()
            try alice.create("general")
            try alice.join("general", as: "alice")
            alice.send("typing_start", ["room": "general"])
            #expect(alice.lastError?["code"] == "unknown_type")
            #expect(alice.lastError?["request_type"] == "typing_start")
            alice.send("typing_stop", ["room": "general"])
            #expect(alice.lastError?["code"] == "unknown_type")
        }
    }
}
