import StreamingApplication
import StreamingDomain
import StreamingTestSupport
import Synchronization
import Testing

@Suite("StreamingSession: turns")
struct StreamingSessionTests {
    @Test("each turn appends the user message and the answer; the next request sees the whole history")
    func historyGrows() async throws {
        let provider = ScriptedTurns([textTurn(["Hel", "lo"]), textTurn(["Again"])])
        let agent = Agent(name: "a", instructions: "Be brief.")
        let session = StreamingSession(runner: AgentRunner(provider: provider), agent: agent)

        let events = try await collect(session.send("hi"))
        #expect(events.compactMap(\.content) == ["Hel", "lo"])
        #expect(session.history == [.user("hi"), .assistant("Hello")])
        #expect(session.turnCount == 1)

        let result = try await session.respond(to: "more")
        #expect(result.finalOutput == "Again")
        #expect(session.history == [.user("hi"), .assistant("Hello"), .user("more"), .assistant("Again")])
        #expect(session.turnCount == 2)
        // The instructions go with every request but never into the history.
        #expect(provider.requests[1].messages == [.system("Be brief."), .user("hi"), .assistant("Hello"), .user("more")])
    }

    @Test("the turn is in the history when the complete event arrives, and not before")
    func commitsAtComplete() async throws {
        let runner = AgentRunner(provider: ScriptedTurns([textTurn(["a", "b"])]))
        let session = StreamingSession(runner: runner, agent: Agent(name: "a"))
        for try await event in session.send("hi") {
            if case .complete = event.kind {
                #expect(session.history == [.user("hi"), .assistant("ab")])
                #expect(!session.isAnswering)
            } else {
                #expect(session.history.isEmpty)
                #expect(session.isAnswering)
            }
        }
    }

    @Test("a turn with tool calls keeps the calls and their results, and the next turn sees them")
    func keepsToolCalls() async throws {
        let provider = ScriptedTurns([
            toolTurn([("c1", "echo", #"{"text":"x"}"#)]), textTurn(["done"]), textTurn(["ok"]),
        ])
        let agent = Agent(name: "a", tools: [sessionEcho])
        let session = StreamingSession(runner: AgentRunner(provider: provider), agent: agent)
        try await session.respond(to: "go")
        let turn: [ChatMessage] = [
            .user("go"),
            .assistant("", toolCalls: [ToolCall(id: "c1", name: "echo", arguments: #"{"text":"x"}"#)]),
            .tool(toolCallID: "c1", content: "echo: x"),
            .assistant("done"),
        ]
        #expect(session.history == turn)
        try await session.respond(to: "again")
        #expect(provider.requests[2].messages == turn + [.user("again")])
        #expect(session.turnCount == 2)
    }

    @Test("after a handoff the next message goes to the agent that answered last")
    func handoffMovesTheSession() async throws {
        let support = Agent(name: "support", instructions: "You are support.")
        let triage = Agent(name: "triage", instructions: "You triage.", handoffs: [support])
        let provider = ScriptedTurns([
            toolTurn([("h1", "transfer_to_support", #"{"reason":"billing"}"#)]),
            textTurn(["Support here."]),
            textTurn(["Still support."]),
        ])
        let session = StreamingSession(runner: AgentRunner(provider: provider), agent: triage)
        try await session.respond(to: "my bill")
        #expect(session.agent == support)

        let result = try await session.respond(to: "thanks")
        #expect(result.lastAgent.name == "support")
        #expect(provider.requests[2].agentName == "support")
        #expect(provider.requests[2].messages.first == .system("You are support."))
        #expect(provider.requests[2].messages.last == .user("thanks"))
    }

    @Test("a failed turn appends nothing and keeps the agent, even when it had handed off")
    func failureAppendsNothing() async throws {
        let support = Agent(name: "support")
        let triage = Agent(name: "triage", handoffs: [support])
        // The second turn hands off, then the script runs out: the run fails after the handoff.
        let provider = ScriptedTurns([textTurn(["first"]), toolTurn([("h1", "transfer_to_support", "{}")])])
        let session = StreamingSession(runner: AgentRunner(provider: provider), agent: triage)
        try await session.respond(to: "one")
        let before = session.checkpoint()

        let error = await #expect(throws: StreamingError.self) { try await session.respond(to: "two") }
        #expect(invalidInputText(error)?.contains("no turn 3") == true)
        #expect(session.checkpoint() == before)
        #expect(session.agent.name == "triage")
        #expect(!session.isAnswering)
    }

    @Test("a cancelled turn appends nothing and frees the session")
    func cancellationAppendsNothing() async throws {
        let session = StreamingSession(runner: AgentRunner(provider: EndlessProvider()), agent: Agent(name: "a"))
        let firstEvent = Flag()
        let task = Task {
            for try await _ in session.send("go") { firstEvent.set() }
        }
        try await waitUntil("the first event") { firstEvent.isSet }
        task.cancel()
        await #expect(throws: StreamingError.cancelled) { try await task.value }
        #expect(session.history.isEmpty)
        #expect(session.turnCount == 0)
        #expect(!session.isAnswering)
    }

    @Test("a consumer that stops early appends nothing, and the next message is answered")
    func earlyStopAppendsNothing() async throws {
        let provider = ScriptedTurns([textTurn(["a", "b", "c"]), textTurn(["next"])])
        let session = StreamingSession(runner: AgentRunner(provider: provider), agent: Agent(name: "a"))
        for try await event in session.send("dropped") {
            #expect(event.content == "a")
            break
        }
        #expect(session.history.isEmpty)
        #expect(!session.isAnswering)

        try await session.respond(to: "kept")
        #expect(session.history == [.user("kept"), .assistant("next")])
        #expect(provider.requests[1].messages == [.user("kept")])
    }

    @Test("iterating a second reply while one is in flight throws; the first still completes")
    func oneAnswerAtATime() async throws {
        let provider = ScriptedTurns([textTurn(["one ", "two"]), textTurn(["three"])])
        let session = StreamingSession(runner: AgentRunner(provider: provider), agent: Agent(name: "a"))
        var first = session.send("first").makeAsyncIterator()
        #expect(try await first.next()?.content == "one ")
        #expect(session.isAnswering)

        var second = session.send("second").makeAsyncIterator()
        let error = await #expect(throws: StreamingError.self) { _ = try await second.next() }
        #expect(invalidInputText(error)?.contains("already answering") == true)
        #expect(try await second.next() == nil)
        // Restoring is refused too while the answer is in flight.
        let restoreError = #expect(throws: StreamingError.self) { try session.restore(session.checkpoint()) }
        #expect(invalidInputText(restoreError)?.contains("already answering") == true)

        while let _ = try await first.next() {}
        #expect(session.history == [.user("first"), .assistant("one two")])
        #expect(provider.requests.count == 1)
        try await session.respond(to: "third")
        #expect(session.turnCount == 2)
    }

    @Test("a reply sends nothing until it is iterated, and may be iterated once")
    func replyIsOneShot() async throws {
        let provider = ScriptedTurns([textTurn(["hello"]), textTurn(["unused"])])
        let session = StreamingSession(runner: AgentRunner(provider: provider), agent: Agent(name: "a"))
        let reply = session.send("hi")
        #expect(reply.message == "hi")
        #expect(provider.requests.isEmpty)

        _ = try await collect(reply)
        let error = await #expect(throws: StreamingError.self) { _ = try await collect(reply) }
        #expect(invalidInputText(error)?.contains("already iterated") == true)
        #expect(session.history == [.user("hi"), .assistant("hello")])
        #expect(provider.requests.count == 1)
    }

    @Test("a reply answers the history as it stands when its iteration starts")
    func replySeesLatestHistory() async throws {
        let provider = ScriptedTurns([textTurn(["A"]), textTurn(["B"])])
        let session = StreamingSession(runner: AgentRunner(provider: provider), agent: Agent(name: "a"))
        let early = session.send("sent first, iterated second")
        try await session.respond(to: "iterated first")
        _ = try await collect(early)
        #expect(provider.requests[1].messages == [
            .user("iterated first"), .assistant("A"), .user("sent first, iterated second"),
        ])
        #expect(session.history.count == 4)
    }
}
