import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Testing

@Suite("Chat agents: answers, handoffs, stop", .timeLimit(.minutes(2)))
struct ChatAgentTests {
    /// Two members in `room`, whose agent is `agent`.
    static func twoMembers(_ chat: ChatHarness, room: String = "general", agent: String = "assistant") throws
        -> (TestClient, TestClient)
    {
        let alice = try chat.client()
        let bob = try chat.client()
        try alice.create(room, ["agent": .string(agent)])
        try alice.join(room, as: "alice")
        try bob.join(room, as: "bob")
        return (alice, bob)
    }

    /// Waits for the agent's `chat_message` (the end of an answer) number `count` on `client`.
    static func waitForAnswer(_ client: TestClient, count: Int = 1) async throws {
        try await client.waitFor("chat_message", count: count) { $0["sender"] == "agent" }
    }

    @Test("the agent's answer streams to every member: typing start, tool call and output, chunks, typing stop, the answer")
    func answerFrames() async throws {
        try await withChat { chat in
            let (alice, bob) = try Self.twoMembers(chat)
            alice.say("What is the weather in Paris?", in: "general")
            try await Self.waitForAnswer(alice)
            try await Self.waitForAnswer(bob)

            for client in [alice, bob] {
                let start = try #require(client.frames("agent_typing_start").first)
                let stream = try #require(start["stream"]?.stringValue)
                #expect(start["agent"] == "assistant" && start["room"] == "general")
                let frames = framesOfAnswer(client, stream: stream)
                let types = frames.compactMap { $0["type"]?.stringValue }
                #expect(Array(types.prefix(3)) == ["agent_typing_start", "tool_call", "tool_output"])
                #expect(Array(types.suffix(2)) == ["agent_typing_stop", "chat_message"])
                #expect(types.dropFirst(3).dropLast(2).allSatisfy { $0 == "response_chunk" })

                let call = frames[1]
                #expect(call["name"] == "get_weather" && call["arguments"] == #"{"city":"Paris"}"#)
                #expect(call["agent"] == "assistant")
                let output = frames[2]
                #expect(output["output"] == "Sunny in Paris" && output["is_error"] == false)
                #expect(output["call_id"] == call["call_id"])

                let chunks = frames.filter { $0["type"] == "response_chunk" }
                #expect(chunks.map { $0["seq"]?.intValue ?? 0 } == Array(1...chunks.count))
                #expect(chunks.allSatisfy { $0["agent"] == "assistant" && $0["room"] == "general" })
                let stop = frames[frames.count - 2]
                #expect(stop["stopped"] == false && stop["agent"] == "assistant")
                let answer = frames[frames.count - 1]
                #expect(answer["sender"] == "agent" && answer["user"] == "assistant")
                #expect(answer["seq"] == 2)
                #expect(answer["content"] == .string(chunkContent(frames)))
                #expect(answer["content"]?.stringValue?.contains("Sunny in Paris") == true)
                #expect(answer["stopped"] == nil)
            }
            // The question, then the answer: the same frames, in the same order, for both.
            func fromQuestion(_ client: TestClient) -> [JSONValue] {
                Array(client.sink.messages.drop { $0["type"] != "chat_message" })
            }
            #expect(fromQuestion(alice) == fromQuestion(bob))
            try await waitUntil("the answer to be stored") { chat.store.messages(of: "general").count == 2 }
            #expect(chat.store.messages(of: "general").last?.sender == .agent)
            #expect(chat.chat.stats.activeStreams == 0)
        }
    }

    @Test("the agent hands off with transfer_to_<agent>: agent_handoff, the new agent answers now and later")
    func handoffByTransfer() async throws {
        try await withChat { chat in
            let (alice, bob) = try Self.twoMembers(chat)
            alice.send("add_agent", ["room": "general", "agent": "support"])
            for client in [alice, bob] {
                #expect(client.frames("agent_added") == [
                    ["type": "agent_added", "room": "general", "agent": "support", "current_agent": "assistant"]
                ])
            }
            alice.say("Please transfer me to support", in: "general")
            try await Self.waitForAnswer(bob)

            let handoff = try #require(bob.frames("agent_handoff").first)
            #expect(handoff["from"] == "assistant" && handoff["to"] == "support")
            #expect(handoff["reason"] == "The user asked to be transferred to support.")
            #expect(handoff["requested_by"] == nil)
            let answer = try #require(bob.frames("chat_message").last)
            #expect(answer["user"] == "support")
            #expect(answer["content"]?.stringValue?.contains("this is support") == true)
            let notice = try #require(bob.frames("chat_message").first { $0["sender"] == "system" })
            #expect(notice["content"]?.stringValue?.contains("handed the conversation to support") == true)
            #expect(chat.chat.rooms.first?.agent == "support")
            try await waitUntil("the room's new agent to be stored") { chat.store.room("general")?.agent == "support" }

            bob.say("Thanks, one more question", in: "general")
            try await Self.waitForAnswer(bob, count: 2)
            #expect(bob.frames("agent_typing_start").last?["agent"] == "support")
            #expect(bob.frames("chat_message").last?["user"] == "support")
        }
    }

    @Test("handoff_request switches the agent at once; unknown or absent agents are not_found")
    func handoffRequest() async throws {
        try await withChat { chat in
            let (alice, bob) = try Self.twoMembers(chat)
            bob.send("handoff_request", ["room": "general", "agent": "support"])
            #expect(bob.lastError?["code"] == "not_found")
            bob.send("handoff_request", ["room": "general", "agent": "nobody"])
            #expect(bob.lastError?["code"] == "not_found")
            bob.send("add_agent", ["room": "general", "agent": "nobody"])
            #expect(bob.lastError?["code"] == "not_found")
            bob.send("handoff_request", ["room": "general", "agent": "assistant"])
            #expect(bob.lastError?["code"] == "invalid_message")

            bob.send("add_agent", ["room": "general", "agent": "sales"])
            bob.send("handoff_request", ["room": "general", "agent": "sales", "reason": "I want to buy"])
            for client in [alice, bob] {
                #expect(client.frames("agent_handoff") == [
                    [
                        "type": "agent_handoff", "room": "general", "from": "assistant", "to": "sales",
                        "reason": "I want to buy", "requested_by": "bob",
                    ]
                ])
            }
            #expect(chat.chat.rooms.first?.agent == "sales")

            alice.say("Hello?", in: "general")
            try await Self.waitForAnswer(alice)
            #expect(alice.frames("agent_typing_start").map { $0["agent"] } == ["sales"])
            #expect(alice.frames("chat_message").last?["user"] == "sales")
            #expect(alice.frames("chat_message").last?["content"]?.stringValue?.contains("This is sales") == true)
        }
    }

    @Test("stop_stream cancels the run and its model request; the partial answer is posted with stopped")
    func stopStream() async throws {
        let model = ChatFixture.slowModel()
        try await withChat(provider: model) { chat in
            let (alice, bob) = try Self.twoMembers(chat)
            bob.send("stop_stream", ["room": "general"])
            #expect(bob.lastError?["code"] == "not_found")

            alice.say("Tell me a long story", in: "general")
            try await bob.waitFor("response_chunk", count: 3)
            #expect(chat.chat.stats.activeStreams == 1)
            bob.send("stop_stream", ["room": "general"])
            try await bob.waitFor("agent_typing_stop")
            try await waitUntil("the model request to be cancelled") { model.wasCancelled }

            for client in [alice, bob] {
                try await Self.waitForAnswer(client)
                let stop = try #require(client.frames("agent_typing_stop").first)
                #expect(stop["stopped"] == true)
                let stream = try #require(stop["stream"]?.stringValue)
                let partial = try #require(client.frames("chat_message").last)
                #expect(partial["stopped"] == true && partial["sender"] == "agent" && partial["stream"] == .string(stream))
                let content = try #require(partial["content"]?.stringValue)
                #expect(!content.isEmpty)
                #expect(content == chunkContent(framesOfAnswer(client, stream: stream)))
            }
            #expect(chat.chat.stats.activeStreams == 0)
            try await waitUntil("the partial answer to be stored") { chat.store.messages(of: "general").count == 2 }
        }
    }

    @Test("a failed answer ends with agent_typing_stop carrying the error; the room keeps answering")
    func failedAnswer() async throws {
        /// Fails the turns whose last message mentions "fail", answers the others as the offline model does.
        struct FlakyModel: ModelProvider {
            func stream(_ request: ModelRequest) async throws -> ModelResponseStream {
                if request.messages.last?.content.contains("fail") == true {
                    return ModelResponseStream(Failing())
                }
                return try await ScriptedModelProvider().stream(request)
            }

            struct Failing: AsyncSequence, AsyncIteratorProtocol {
                var sent = false
                func makeAsyncIterator() -> Failing { self }
                mutating func next() async throws -> ModelDelta? {
                    guard sent else {
                        sent = true
                        return .text("Partial ")
                    }
                    throw StreamingError.provider(status: 500, message: "boom")
                }
            }
        }
        try await withChat(provider: FlakyModel()) { chat in
            let (alice, bob) = try Self.twoMembers(chat)
            alice.say("please fail", in: "general")
            try await Self.waitForAnswer(bob)
            let stop = try #require(bob.frames("agent_typing_stop").first)
            #expect(stop["stopped"] == true)
            #expect(stop["error"]?["code"] == "provider")
            let partial = try #require(bob.frames("chat_message").last)
            #expect(partial["content"] == "Partial " && partial["stopped"] == true)

            alice.say("and now?", in: "general")
            try await Self.waitForAnswer(bob, count: 2)
            #expect(bob.frames("agent_typing_stop").last?["stopped"] == false)
            #expect(bob.frames("agent_typing_stop").last?["error"] == nil)
        }
    }

    @Test("a member who joins while the agent answers gets the partial answer in streaming, then the rest")
    func joinWhileStreaming() async throws {
        try await withChat(provider: ChatFixture.slowModel(delay: .milliseconds(15))) { chat in
            let (alice, _) = try Self.twoMembers(chat)
            alice.say("Tell me how streaming works", in: "general")
            try await alice.waitFor("response_chunk", count: 4)

            let carol = try chat.client()
            let joined = try carol.join("general", as: "carol")
            let streaming = try #require(joined["streaming"])
            let stream = try #require(streaming["stream"]?.stringValue)
            let seq = try #require(streaming["seq"]?.intValue)
            #expect(seq >= 4)
            #expect(streaming["agent"] == "assistant")
            try await Self.waitForAnswer(carol)

            let later = carol.frames("response_chunk")
            #expect(later.map { $0["seq"]?.intValue ?? 0 } == Array((seq + 1)..<(seq + 1 + later.count)))
            let answer = try #require(carol.frames("chat_message").last)
            #expect(answer["stream"] == .string(stream))
            #expect(answer["content"]?.stringValue == (streaming["content"]?.stringValue ?? "") + chunkContent(later))
            #expect(joined["history"]?.arrayValue?.map { $0["content"] } == ["Tell me how streaming works"])
        }
    }

    @Test("answers come one at a time, in order; past max_pending_answers the message is posted but not answered")
    func pendingAnswers() async throws {
        try await withChat(options: ChatOptions(maxPendingAnswers: 1), provider: ChatFixture.slowModel(delay: .milliseconds(5))) { chat in
            let (alice, bob) = try Self.twoMembers(chat)
            alice.say("first", in: "general")
            alice.say("second", in: "general")
            alice.say("third", in: "general")
            #expect(alice.lastError?["code"] == "server_busy")
            #expect(alice.lastError?["request_type"] == "chat_message")
            #expect(bob.frames("chat_message").map { $0["content"] } == ["first", "second", "third"])

            try await Self.waitForAnswer(bob, count: 2)
            let starts = bob.frames("agent_typing_start")
            let stops = bob.frames("agent_typing_stop")
            #expect(starts.count == 2 && stops.count == 2)
            // One at a time: the second starts after the first stopped.
            let types = bob.types.filter { $0.hasPrefix("agent_typing") }
            #expect(types == ["agent_typing_start", "agent_typing_stop", "agent_typing_start", "agent_typing_stop"])
            let answers = bob.frames("chat_message").filter { $0["sender"] == "agent" }
            #expect(answers[0]["content"]?.stringValue?.contains("first") == true)
            #expect(answers[1]["content"]?.stringValue?.contains("second") == true)
        }
    }

    @Test("a room without an agent is for people only")
    func noAgent() async throws {
        try await withChat { chat in
            let alice = try chat.client()
            try alice.create("people")
            try alice.join("people", as: "alice")
            alice.say("anyone?", in: "people")
            alice.send("stop_stream", ["room": "people"])
            #expect(alice.lastError?["code"] == "not_found")
            #expect(alice.frames("agent_typing_start").isEmpty)

            // Adding an agent to such a room makes it the room's agent.
            alice.send("add_agent", ["room": "people", "agent": "support"])
            #expect(alice.sink.last?["current_agent"] == "support")
            alice.say("now?", in: "people")
            try await Self.waitForAnswer(alice)
            #expect(alice.frames("chat_message").last?["user"] == "support")
        }
    }
}
