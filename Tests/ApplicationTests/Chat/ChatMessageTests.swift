import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Testing

@Suite("Chat messages: seq, limits, store writes", .timeLimit(.minutes(1)))
struct ChatMessageTests {
    /// `2025-03-01T09:30:00.125Z`: ISO 8601, UTC, milliseconds.
    static func isTimestamp(_ value: JSONValue?) -> Bool {
        guard let text = value?.stringValue else { return false }
        return text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil
    }

    @Test("every member sees every message, in seq order, with sender, author and time; the store gets them all")
    func broadcastInOrder() async throws {
        try await withChat { chat in
            let alice = try chat.client()
            let bob = try chat.client()
            let outsider = try chat.client()
            try alice.create("general")
            try alice.join("general", as: "alice")
            try bob.join("general", as: "bob")

            alice.say("one", in: "general")
            bob.say("two", in: "general")
            alice.say("three", in: "general")

            for client in [alice, bob] {
                let messages = client.frames("chat_message")
                #expect(messages.map { $0["seq"] } == [1, 2, 3])
                #expect(messages.map { $0["content"] } == ["one", "two", "three"])
                #expect(messages.map { $0["user"] } == ["alice", "bob", "alice"])
                #expect(messages.allSatisfy { $0["sender"] == "user" && $0["room"] == "general" && $0["stopped"] == nil })
                #expect(messages.allSatisfy { Self.isTimestamp($0["sent_at"]) })
            }
            #expect(alice.frames("chat_message") == bob.frames("chat_message"))

            outsider.say("let me in", in: "general")
            #expect(outsider.lastError?["code"] == "forbidden")
            outsider.say("hello", in: "nowhere")
            #expect(outsider.lastError?["code"] == "not_found")

            try await waitUntil("the store to hold the three messages") { chat.store.messages(of: "general").count == 3 }
            let stored = chat.store.messages(of: "general")
            #expect(stored.map(\.seq) == [1, 2, 3])
            #expect(stored.map(\.author) == ["alice", "bob", "alice"])
            #expect(stored.allSatisfy { $0.sender == .user })

            let joined = try chat.client().join("general", as: "carol")
            #expect(joined["last_seq"] == 3)
            #expect(joined["history"]?.arrayValue?.map { $0["content"] } == ["one", "two", "three"])
            #expect(joined["history"]?.arrayValue?.first?["type"] == nil)
        }
    }

    @Test("messages sent at once from many connections reach every member in one seq order, and the store in that order")
    func concurrentSenders() async throws {
        let store = TestChatStore()
        try await withChat(options: ChatOptions(messagesPerMinute: 1_000), store: store) { chat in
            let owner = try chat.client()
            try owner.create("busy")
            let senders = try (0..<8).map { index in
                let client = try chat.client()
                try client.join("busy", as: "user\(index)")
                return client
            }
            try owner.join("busy", as: "owner")
            await withTaskGroup(of: Void.self) { group in
                for (index, sender) in senders.enumerated() {
                    group.addTask {
                        for message in 1...25 { sender.say("\(index).\(message)", in: "busy") }
                    }
                }
            }
            let expected = Array(1...200)
            for client in senders + [owner] {
                #expect(client.frames("chat_message").compactMap { $0["seq"]?.intValue } == expected)
                #expect(client.frames("chat_message") == owner.frames("chat_message"))
            }
            // Each sender's messages keep their order.
            let contents = owner.frames("chat_message").compactMap { $0["content"]?.stringValue }
            for index in 0..<8 {
                #expect(contents.filter { $0.hasPrefix("\(index).") } == (1...25).map { "\(index).\($0)" })
            }
        }
        #expect(store.messages(of: "busy").map(\.seq) == Array(1...200))
    }

    @Test("content over max_message_length is too_large; empty content is invalid_message; neither is posted")
    func tooLarge() async throws {
        try await withChat(options: ChatOptions(maxMessageLength: 10)) { chat in
            let alice = try chat.client()
            try alice.create("general")
            try alice.join("general", as: "alice")
            alice.say("0123456789", in: "general")
            alice.say("🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂", in: "general")  // ten characters, forty bytes
            alice.say("01234567890", in: "general")
            #expect(alice.lastError?["code"] == "too_large")
            #expect(alice.lastError?["request_type"] == "chat_message")
            alice.say("  ", in: "general")
            #expect(alice.lastError?["code"] == "invalid_message")
            alice.send("chat_message", ["room": "general"])
            #expect(alice.lastError?["code"] == "invalid_message")
            #expect(alice.frames("chat_message").map { $0["seq"] } == [1, 2])
        }
    }

    @Test("rate_limit counts a user's messages over all their connections; others are not slowed")
    func rateLimited() async throws {
        try await withChat(options: ChatOptions(messagesPerMinute: 3)) { chat in
            let tab1 = try chat.client()
            let tab2 = try chat.client()
            let bob = try chat.client()
            try tab1.create("general")
            try tab1.join("general", as: "alice")
            try tab2.join("general", as: "alice")
            try bob.join("general", as: "bob")

            tab1.say("1", in: "general")
            tab2.say("2", in: "general")
            tab1.say("3", in: "general")
            tab2.say("4", in: "general")
            #expect(tab2.lastError?["code"] == "rate_limited")
            #expect(tab2.lastError?["request_type"] == "chat_message")
            #expect(tab2.lastError?["message"]?.stringValue?.contains("retry in") == true)
            bob.say("5", in: "general")
            #expect(bob.frames("error").isEmpty)
            #expect(bob.frames("chat_message").map { $0["content"] } == ["1", "2", "3", "5"])
        }
    }

    @Test("a failing store is retried; past max_pending_writes messages are refused with server_busy, never lost")
    func failingStore() async throws {
        let clock = ManualClock()
        let store = TestChatStore()
        try await withChat(options: ChatOptions(maxPendingWrites: 3), store: store, clock: clock) { chat in
            let alice = try chat.client()
            try alice.create("general")
            try alice.join("general", as: "alice")
            try await waitUntil("the room to be stored") { store.room("general") != nil }

            store.failing = true
            alice.say("one", in: "general")
            alice.say("two", in: "general")
            alice.say("three", in: "general")
            // The writer holds "one" and sleeps before retrying: three writes wait.
            try await clock.waitForSleepers(1)
            #expect(chat.chat.stats.pendingWrites == 3)
            #expect(chat.chat.stats.failedWrites >= 1)
            alice.say("four", in: "general")
            #expect(alice.lastError?["code"] == "server_busy")
            #expect(alice.lastError?["request_type"] == "chat_message")
            #expect(alice.frames("chat_message").map { $0["seq"] } == [1, 2, 3])

            store.failing = false
            clock.advance(by: .seconds(1))
            try await waitUntil("the writes to resume") { store.messages(of: "general").count == 3 }
            #expect(store.messages(of: "general").map(\.content) == ["one", "two", "three"])
            try await waitUntil("the queue to empty") { chat.chat.stats.pendingWrites == 0 }
            alice.say("four", in: "general")
            #expect(alice.frames("chat_message").last?["seq"] == 4)
        }
        #expect(store.messages(of: "general").map(\.seq) == [1, 2, 3, 4])
    }

    @Test("shutdown writes every posted message before run() returns")
    func shutdownFlushes() async throws {
        let store = TestChatStore()
        try await withChat(options: ChatOptions(messagesPerMinute: 100), store: store) { chat in
            let alice = try chat.client()
            try alice.create("general")
            try alice.join("general", as: "alice")
            for index in 1...50 { alice.say("message \(index)", in: "general") }
            #expect(alice.frames("error").isEmpty)
        }
        #expect(store.messages(of: "general").map(\.seq) == Array(1...50))
    }
}
