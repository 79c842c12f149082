import StreamingApplication
import StreamingDomain
import StreamingMemory
import Testing

@Suite("StreamingSession: export and import")
struct StreamingSessionSnapshotTests {
    let weather = Tool(name: "get_weather", description: "The weather in a city.", parameters: ["type": "object"]) {
        (arguments: [String: String]) async throws -> String in
        "sunny in " + (arguments["city"] ?? "?")
    }
    let support = Agent(name: "support", instructions: "You are support.")
    var assistant: Agent { Agent(name: "assistant", instructions: "Help.", tools: [weather], handoffs: [support]) }
    let offline = AgentRunner(provider: ScriptedModelProvider())

    @Test("export, JSON, import: the same session, which then carries on the conversation")
    func roundTrip() async throws {
        let session = StreamingSession(runner: offline, agent: assistant, historyLimit: 50)
        try await session.respond(to: "What's the weather in Paris and Oslo?")
        try await session.respond(to: "Please transfer me to support")
        #expect(session.agent.name == "support")
        #expect(session.history.contains { $0.role == "tool" })

        let json = try session.exportJSON()
        let imported = try StreamingSession.restored(fromJSON: json, runner: offline, agents: [assistant])
        #expect(imported.export() == session.export())
        #expect(imported.history == session.history)
        #expect(imported.agent == support)  // found through the assistant's handoffs
        #expect(imported.historyLimit == 50)
        #expect(imported.turnCount == 2)
        #expect(try imported.exportJSON() == json)

        let before = session.history
        let result = try await imported.respond(to: "What did I ask first?")
        #expect(result.lastAgent.name == "support")
        #expect(imported.history == before + [.user("What did I ask first?"), .assistant(result.finalOutput)])
        #expect(imported.turnCount == 3)
        #expect(session.history == before)
    }

    @Test("the JSON form: sorted keys, Chat Completions messages, no limit field without a limit")
    func jsonForm() async throws {
        let provider = ScriptedTurns([toolTurn([("c1", "echo", #"{"text":"x"}"#)]), textTurn(["done"])])
        let agent = Agent(name: "a", tools: [sessionEcho])
        let session = StreamingSession(runner: AgentRunner(provider: provider), agent: agent)
        try await session.respond(to: "go")
        #expect(try session.exportJSON() == """
            {"agent_name":"a","history":[{"content":"go","role":"user"},\
            {"content":"","role":"assistant","tool_calls":[{"arguments":"{\\"text\\":\\"x\\"}","id":"c1","name":"echo"}]},\
            {"content":"echo: x","role":"tool","tool_call_id":"c1"},{"content":"done","role":"assistant"}],\
            "turn_count":1,"version":1}
            """)
        let snapshot = session.export()
        #expect(snapshot == SessionSnapshot(agentName: "a", history: session.history, historyLimit: nil, turnCount: 1))
        #expect(snapshot.version == 1)
    }

    @Test("a hand-written snapshot may leave out the limit and the turn count")
    func minimalJSON() throws {
        let json = #"{"version":1,"agent_name":"support","history":[{"role":"user","content":"hi"}]}"#
        let session = try StreamingSession.restored(fromJSON: json, runner: offline, agents: [assistant])
        #expect(session.agent == support)
        #expect(session.history == [.user("hi")])
        #expect(session.historyLimit == nil)
        #expect(session.turnCount == 0)
    }

    @Test("an agent no given agent can reach is not found")
    func unknownAgent() throws {
        let json = #"{"agent_name":"billing","history":[],"turn_count":0,"version":1}"#
        #expect(throws: StreamingError.notFound("agent \"billing\" (the session snapshot's agent)")) {
            try StreamingSession.restored(fromJSON: json, runner: offline, agents: [assistant])
        }
        let snapshot = SessionSnapshot(agentName: "nobody", history: [])
        #expect(throws: StreamingError.self) {
            try StreamingSession.restored(from: snapshot, runner: offline, agents: [])
        }
    }

    @Test(
        "text that is not a version-1 session snapshot is invalid input, never a raw DecodingError",
        arguments: [
            ("not json", "not a session snapshot"),
            ("[1, 2]", "not a session snapshot"),
            ("{}", "not a session snapshot"),
            (#"{"version":"1"}"#, "not a session snapshot"),
            (#"{"version":2,"whatever":true}"#, "version 2 is not supported"),
            (#"{"version":1,"history":[]}"#, "missing agent_name"),
            (#"{"version":1,"agent_name":"a","history":[{"role":"robot","content":"x"}],"turn_count":0}"#, "unknown role"),
            (#"{"version":1,"agent_name":"a","history":[],"turn_count":0,"history_limit":-1}"#, "negative"),
        ]
    )
    func badJSON(json: String, expected: String) throws {
        let error = #expect(throws: StreamingError.self) {
            try StreamingSession.restored(fromJSON: json, runner: offline, agents: [Agent(name: "a")])
        }
        let text = try #require(invalidInputText(error))
        #expect(text.contains(expected), "\(text)")
    }

    @Test("a snapshot value of another version is refused")
    func otherVersion() {
        let snapshot = SessionSnapshot(version: 2, agentName: "a", history: [])
        let error = #expect(throws: StreamingError.self) {
            try StreamingSession.restored(from: snapshot, runner: offline, agents: [Agent(name: "a")])
        }
        #expect(invalidInputText(error)?.contains("version 2") == true)
    }

    @Test("an imported history is trimmed to the snapshot's limit")
    func importTrims() throws {
        let history: [ChatMessage] = [
            .user("q"),
            .assistant("", toolCalls: [ToolCall(id: "c1", name: "echo", arguments: "{}")]),
            .tool(toolCallID: "c1", content: "r"),
            .assistant("a"),
        ]
        let snapshot = SessionSnapshot(agentName: "a", history: history, historyLimit: 2)
        let session = try StreamingSession.restored(from: snapshot, runner: offline, agents: [Agent(name: "a")])
        #expect(session.history == [.assistant("a")])
    }
}
