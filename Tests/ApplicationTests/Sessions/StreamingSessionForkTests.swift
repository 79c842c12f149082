import StreamingApplication
import StreamingDomain
import Testing

@Suite("StreamingSession: fork, checkpoint and restore")
struct StreamingSessionForkTests {
    @Test("a fork starts as a copy, and later turns of either do not reach the other")
    func forkIsIndependent() async throws {
        let provider = ScriptedTurns([textTurn(["A"]), textTurn(["B"]), textTurn(["C"])])
        let runner = AgentRunner(provider: provider)
        let session = StreamingSession(runner: runner, agent: Agent(name: "a"), historyLimit: 10)
        try await session.respond(to: "one")

        let fork = session.fork()
        #expect(fork !== session)
        #expect(fork.history == session.history)
        #expect(fork.agent == session.agent)
        #expect(fork.historyLimit == 10)
        #expect(fork.turnCount == 1)
        #expect(fork.export() == session.export())

        try await fork.respond(to: "fork only")
        try await session.respond(to: "original only")
        #expect(fork.history == [.user("one"), .assistant("A"), .user("fork only"), .assistant("B")])
        #expect(session.history == [.user("one"), .assistant("A"), .user("original only"), .assistant("C")])
        // The original's request did not see the fork's turn.
        #expect(provider.requests[2].messages == [.user("one"), .assistant("A"), .user("original only")])
    }

    @Test("a fork taken while a turn is in flight gets neither that turn nor the busy state")
    func forkDuringTurn() async throws {
        let provider = ScriptedTurns([textTurn(["x", "y"]), textTurn(["z"])])
        let session = StreamingSession(runner: AgentRunner(provider: provider), agent: Agent(name: "a"))
        var answer = session.send("in flight").makeAsyncIterator()
        _ = try await answer.next()
        let fork = session.fork()
        #expect(!fork.isAnswering)
        try await fork.respond(to: "fork")
        while let _ = try await answer.next() {}
        #expect(fork.history == [.user("fork"), .assistant("z")])
        #expect(session.history == [.user("in flight"), .assistant("xy")])
    }

    @Test("restore goes back to a checkpoint's history, agent and turn count, and the session goes on from there")
    func checkpointAndRestore() async throws {
        let support = Agent(name: "support")
        let triage = Agent(name: "triage", handoffs: [support])
        let provider = ScriptedTurns([
            textTurn(["A"]),
            toolTurn([("h1", "transfer_to_support", "{}")]), textTurn(["support here"]),
            textTurn(["D"]),
        ])
        let session = StreamingSession(runner: AgentRunner(provider: provider), agent: triage)
        try await session.respond(to: "one")
        let saved = session.checkpoint()
        #expect(saved == SessionCheckpoint(history: [.user("one"), .assistant("A")], agent: triage, turnCount: 1))

        try await session.respond(to: "transfer")
        #expect(session.agent == support)
        #expect(session.turnCount == 2)

        try session.restore(saved)
        #expect(session.history == saved.history)
        #expect(session.agent == triage)
        #expect(session.turnCount == 1)
        #expect(session.checkpoint() == saved)

        try await session.respond(to: "again")
        #expect(provider.requests[3].agentName == "triage")
        #expect(provider.requests[3].messages == [.user("one"), .assistant("A"), .user("again")])
        // The checkpoint is a value: the session's later turns did not change it.
        #expect(saved.history.count == 2)
    }

    @Test("a checkpoint restored into a session with a smaller limit is trimmed to that limit")
    func restoreTrims() throws {
        let runner = AgentRunner(provider: ScriptedTurns([]))
        let checkpoint = SessionCheckpoint(
            history: [.user("1"), .assistant("2"), .user("3"), .assistant("4")],
            agent: Agent(name: "a"),
            turnCount: 2
        )
        let session = StreamingSession(runner: runner, agent: Agent(name: "a"), historyLimit: 3)
        try session.restore(checkpoint)
        #expect(session.history == [.assistant("2"), .user("3"), .assistant("4")])
        #expect(session.turnCount == 2)
    }
}
