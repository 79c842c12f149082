import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Testing

/// `RealTimeChat`: the guide's in-process chat, on `ChatService`, on the offline model.
@Suite("RealTimeChat")
struct RealTimeChatTests {
    static func chat(_ options: RealTimeChat.Options = .init()) throws -> RealTimeChat {
        try RealTimeChat(
            runner: AgentRunner(provider: ScriptedModelProvider()), agent: ChatFixture.assistant, agents: [ChatFixture.support],
            store: InMemoryChatStore(), options: options)
    }

    static func collect(_ chat: RealTimeChat, _ text: String) async throws -> [RealTimeChat.Event] {
        var events: [RealTimeChat.Event] = []
        for try await event in try chat.sendMessage(text) { events.append(event) }
        return events
    }

    @Test("sendMessage streams typing_start, the tool call and its output, content, then typing_stop")
    func eventsOfAnAnswer() async throws {
        try await Self.chat().withRunning { chat in
            let events = try await Self.collect(chat, "weather in Oslo")
            #expect(events.first == .typingStart(agent: "assistant"))
            #expect(events.last == .typingStop(agent: "assistant"))
            #expect(events.contains(.toolCall(name: "get_weather", arguments: #"{"city":"Oslo"}"#, agent: "assistant")))
            #expect(events.contains(.toolOutput(name: "get_weather", output: "Sunny in Oslo", agent: "assistant")))
            let text = events.compactMap { event -> String? in
                if case .content(let piece, _) = event { return piece }
                return nil
            }.joined()
            #expect(text.contains("Sunny in Oslo"))

            // The same answer through the closure form, and the history of both turns.
            var viaClosure: [RealTimeChat.Event] = []
            try await chat.sendMessage("weather in Lima") { viaClosure.append($0) }
            #expect(viaClosure.last == .typingStop(agent: "assistant"))
            let history = try await chat.history()
            #expect(history.map(\.sender) == ["user", "agent", "user", "agent"])
            #expect(history[0].content == "weather in Oslo" && history[0].author == "user")
            #expect(history[1].author == "assistant" && history[1].content == text)
        }
    }

    @Test("without typing indicators there are no typing events; response_delay spaces the content events")
    func typingOffAndDelay() async throws {
        let delay = Duration.milliseconds(15)
        try await Self.chat(.init(enableTypingIndicators: false, responseDelay: delay)).withRunning { chat in
            let clock = ContinuousClock()
            let start = clock.now
            let events = try await Self.collect(chat, "hello there")
            let elapsed = clock.now - start
            #expect(!events.contains(.typingStart(agent: "assistant")))
            #expect(!events.contains(.typingStop(agent: "assistant")))
            let pieces = events.filter { if case .content = $0 { true } else { false } }.count
            #expect(pieces > 3)
            #expect(elapsed >= delay * (pieces - 1))
        }
    }

    @Test("a message over max_message_length, or an empty one, is refused with a typed error; addAgent brings in a specialist who takes over")
    func limitsAndAddAgent() async throws {
        try await Self.chat(.init(maxMessageLength: 30)).withRunning { chat in
            #expect(throws: StreamingError.self) { _ = try chat.sendMessage(String(repeating: "x", count: 31)) }
            #expect(throws: StreamingError.self) { _ = try chat.sendMessage("   ") }
            await #expect(throws: StreamingError.self) { try await chat.addAgent("nobody") }

            try await chat.addAgent("support")
            let events = try await Self.collect(chat, "transfer me to support")
            #expect(events.contains { if case .handoff(_, "support", _) = $0 { true } else { false } })
            #expect(events.last == .typingStop(agent: "support"))
        }
    }
}

@Suite("RealTimeChat: one call at a time", .timeLimit(.minutes(1)))
struct RealTimeChatTurnTests {
    @Test("history and addAgent while an answer streams are refused at once; the answer loses nothing")
    func callsDuringAnAnswer() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: 6))
        let chat = try RealTimeChat(
            runner: AgentRunner(provider: model), agent: ChatFixture.assistant, agents: [ChatFixture.support],
            store: InMemoryChatStore())
        try await chat.withRunning { chat in
            var events = try chat.sendMessage("hello").makeAsyncIterator()
            #expect(try await events.next() == .typingStart(agent: "assistant"))
            model.release()
            guard case .content? = try await events.next() else {
                Issue.record("no first piece")
                return
            }
            // The answer holds the chat's one reader: other calls are refused, not queued
            // behind it or handed its frames.
            await #expect(throws: StreamingError.self) { _ = try await chat.history() }
            await #expect(throws: StreamingError.self) { try await chat.addAgent("support") }
            #expect(throws: StreamingError.self) { _ = try chat.sendMessage("again") }

            model.releaseAll()
            var pieces = 1
            while let event = try await events.next() {
                if case .content = event { pieces += 1 }
            }
            #expect(pieces == 6, "every piece of the answer arrived")
            let history = try await chat.history()
            #expect(history.map(\.sender) == ["user", "agent"])
            #expect(history.last?.content == model.answer)
            try await chat.addAgent("support")
        }
    }
}
