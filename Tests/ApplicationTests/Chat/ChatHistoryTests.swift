import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Testing

@Suite("Chat history and restarts", .timeLimit(.minutes(1)))
struct ChatHistoryTests {
    /// The `seq`s of a `history` frame's messages.
    static func seqs(_ frame: JSONValue?) -> [Int] {
        frame?["messages"]?.arrayValue?.compactMap { $0["seq"]?.intValue } ?? []
    }

    @Test("get_history pages back with before_seq and has_more, through the store beyond the recent messages")
    func paging() async throws {
        let options = ChatOptions(agentContextMessages: 2)
        try await withChat(options: options) { chat in
            let alice = try chat.client()
            try alice.create("general", ["message_history": 5])
            try alice.join("general", as: "alice")
            for index in 1...12 { alice.say("message \(index)", in: "general") }
            try await waitUntil("the messages to be stored") { chat.store.messages(of: "general").count == 12 }

            alice.send("get_history", ["room": "general", "limit": 4])
            try await alice.waitFor("history")
            var page = alice.frames("history").last
            #expect(Self.seqs(page) == [9, 10, 11, 12])
            #expect(page?["has_more"] == true)
            #expect(page?["room"] == "general")
            let first = try #require(page?["messages"]?.arrayValue?.first)
            #expect(first["content"] == "message 9" && first["user"] == "alice" && first["sender"] == "user")
            #expect(ChatMessageTests.isTimestamp(first["sent_at"]))
            #expect(chat.store.historyReads == 0)  // The recent messages held it.

            alice.send("get_history", ["room": "general", "before_seq": 9, "limit": 4])
            try await alice.waitFor("history", count: 2)
            page = alice.frames("history").last
            #expect(Self.seqs(page) == [5, 6, 7, 8])
            #expect(page?["has_more"] == true)
            #expect(chat.store.historyReads == 1)

            alice.send("get_history", ["room": "general", "before_seq": 5, "limit": 10])
            try await alice.waitFor("history", count: 3)
            page = alice.frames("history").last
            #expect(Self.seqs(page) == [1, 2, 3, 4])
            #expect(page?["has_more"] == false)

            alice.send("get_history", ["room": "general", "before_seq": 1])
            try await alice.waitFor("history", count: 4)
            #expect(Self.seqs(alice.frames("history").last) == [])
            #expect(alice.frames("history").last?["has_more"] == false)

            alice.send("get_history", ["room": "general", "limit": 0])
            #expect(alice.lastError?["code"] == "invalid_message")
            alice.send("get_history", ["room": "general", "limit": 201])
            #expect(alice.lastError?["code"] == "invalid_message")
            let outsider = try chat.client()
            outsider.send("get_history", ["room": "general"])
            #expect(outsider.lastError?["code"] == "forbidden")
        }
    }

    @Test("history frames stay within max_history_bytes: a shorter page says has_more")
    func byteBudget() async throws {
        // Each message counts its content (50 bytes), author (5) and 100 bytes of fields: two fit in 400.
        try await withChat(options: ChatOptions(maxHistoryBytes: 400)) { chat in
            let alice = try chat.client()
            try alice.create("general")
            try alice.join("general", as: "alice")
            for index in 1...5 { alice.say(String(repeating: "\(index)", count: 50), in: "general") }

            let joined = try chat.client().join("general", as: "bob")
            #expect(joined["history"]?.arrayValue?.map { $0["seq"] } == [4, 5])
            #expect(joined["has_more"] == true)

            alice.send("get_history", ["room": "general", "before_seq": 4, "limit": 10])
            try await alice.waitFor("history")
            #expect(Self.seqs(alice.frames("history").last) == [2, 3])
            #expect(alice.frames("history").last?["has_more"] == true)
        }
        // A single message over the budget is still sent, alone.
        try await withChat(options: ChatOptions(maxHistoryBytes: 10)) { chat in
            let alice = try chat.client()
            try alice.create("general")
            try alice.join("general", as: "alice")
            alice.say("one", in: "general")
            alice.say("two", in: "general")
            alice.send("get_history", ["room": "general"])
            try await alice.waitFor("history")
            #expect(Self.seqs(alice.frames("history").last) == [2])
            #expect(alice.frames("history").last?["has_more"] == true)
        }
    }

    @Test("a page read from the store includes the messages the store does not have yet")
    func unwrittenMessages() async throws {
        let clock = ManualClock()
        let store = TestChatStore()
        try await withChat(options: ChatOptions(agentContextMessages: 1), store: store, clock: clock) { chat in
            let alice = try chat.client()
            try alice.create("general", ["message_history": 2])
            try alice.join("general", as: "alice")
            for index in 1...3 { alice.say("stored \(index)", in: "general") }
            try await waitUntil("three stored") { store.messages(of: "general").count == 3 }

            // The store refuses writes (and the writer waits to retry) but still reads.
            store.failing = true
            for index in 4...6 { alice.say("pending \(index)", in: "general") }
            try await clock.waitForSleepers(1)
            store.failing = false

            alice.send("get_history", ["room": "general", "before_seq": 6, "limit": 4])
            try await alice.waitFor("history")
            let page = alice.frames("history").last
            #expect(Self.seqs(page) == [2, 3, 4, 5])
            #expect(page?["has_more"] == true)
            clock.advance(by: .seconds(1))
        }
    }

    @Test("a new service over the same store continues each room's seq, history, settings and agent")
    func restart() async throws {
        let store = TestChatStore()
        try await withChat(store: store) { chat in
            let alice = try chat.client()
            try alice.create("general", ["agent": "assistant", "max_participants": 7, "user": "alice"])
            try alice.create("quiet")
            try alice.join("general", as: "alice")
            alice.send("add_agent", ["room": "general", "agent": "support"])
            alice.say("transfer me to support", in: "general")
            try await alice.waitFor("chat_message") { $0["sender"] == "agent" }
            alice.say("thanks", in: "general")
            try await alice.waitFor("chat_message", count: 2) { $0["sender"] == "agent" }
        }
        let stored = store.messages(of: "general")
        #expect(stored.map(\.seq) == Array(1...stored.count))
        #expect(stored.count == 5)  // question, handoff notice, answer, thanks, answer

        try await withChat(store: store) { chat in
            #expect(chat.chat.rooms.map(\.name) == ["general", "quiet"])
            let room = try #require(chat.chat.rooms.first)
            #expect(room.agent == "support" && room.specialists == ["assistant", "support"] && room.maxParticipants == 7)
            #expect(chat.chat.stats.totalMessages == 5)

            let bob = try chat.client()
            let joined = try bob.join("general", as: "bob")
            #expect(joined["last_seq"] == 5)
            #expect(joined["agent"] == "support")
            #expect(joined["history"]?.arrayValue?.map { $0["seq"] } == [1, 2, 3, 4, 5])
            #expect(joined["history"]?.arrayValue?.first?["content"] == "transfer me to support")

            bob.say("back again", in: "general")
            #expect(bob.frames("chat_message").first?["seq"] == 6)
            try await bob.waitFor("chat_message") { $0["sender"] == "agent" }
            #expect(bob.frames("chat_message").last?["user"] == "support")
            #expect(bob.frames("chat_message").last?["seq"] == 7)
        }
        #expect(store.messages(of: "general").map(\.seq) == Array(1...7))
    }
}
