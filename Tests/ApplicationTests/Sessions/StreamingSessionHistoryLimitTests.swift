import StreamingApplication
import StreamingDomain
import Testing

@Suite("StreamingSession: history limit")
struct StreamingSessionHistoryLimitTests {
    /// One turn with three tool calls, then a plain turn: eight messages.
    static let conversation: [ChatMessage] = [
        .user("weather in Paris, Oslo and Rome?"),
        .assistant("", toolCalls: [
            ToolCall(id: "c1", name: "get_weather", arguments: #"{"city":"Paris"}"#),
            ToolCall(id: "c2", name: "get_weather", arguments: #"{"city":"Oslo"}"#),
            ToolCall(id: "c3", name: "get_weather", arguments: #"{"city":"Rome"}"#),
        ]),
        .tool(toolCallID: "c1", content: "sunny"),
        .tool(toolCallID: "c2", content: "rain"),
        .tool(toolCallID: "c3", content: "windy"),
        .assistant("Sunny, rain and wind."),
        .user("thanks"),
        .assistant("You're welcome."),
    ]

    @Test("a conversation within the limit is unchanged; a limit of zero keeps nothing")
    func withinLimit() {
        let history = Self.conversation
        #expect(history.trimmed(toLast: 8) == history)
        #expect(history.trimmed(toLast: 100) == history)
        #expect(history.trimmed(toLast: 0) == [])
        #expect([ChatMessage]().trimmed(toLast: 3) == [])
        #expect(history.trimmed(toLast: 2) == [.user("thanks"), .assistant("You're welcome.")])
    }

    @Test("a cut inside a multi-tool turn moves past its tool results, keeping fewer messages")
    func cutInsideToolTurn() {
        let history = Self.conversation
        // The last 5 would start at the result of c2: the results of c2 and c3 go with their call.
        #expect(history.trimmed(toLast: 5) == Array(history[5...]))
        #expect(history.trimmed(toLast: 6) == Array(history[5...]))
        // The last 7 start at the assistant message that makes the calls: all its results stay.
        #expect(history.trimmed(toLast: 7) == Array(history[1...]))
    }

    @Test("for every limit: a suffix, never longer than the limit, never starting with a tool result", arguments: 0...9)
    func everyLimit(limit: Int) {
        let trimmed = Self.conversation.trimmed(toLast: limit)
        #expect(trimmed.count <= limit)
        #expect(Self.conversation.suffix(trimmed.count).elementsEqual(trimmed))
        #expect(trimmed.first?.role != "tool")
        #expect(toolResultsFollowTheirCalls(trimmed))
    }

    @Test("a history of nothing but tool results after the cut keeps nothing")
    func onlyToolResults() {
        let history: [ChatMessage] = [
            .assistant("", toolCalls: [
                ToolCall(id: "a", name: "t", arguments: "{}"), ToolCall(id: "b", name: "t", arguments: "{}"),
            ]),
            .tool(toolCallID: "a", content: "1"),
            .tool(toolCallID: "b", content: "2"),
        ]
        #expect(history.trimmed(toLast: 2) == [])
        #expect(history.trimmed(toLast: 1) == [])
    }

    @Test("a session with a limit trims after every turn, and sends the trimmed history")
    func sessionTrims() async throws {
        let provider = ScriptedTurns([
            toolTurn([("c1", "echo", #"{"text":"1"}"#), ("c2", "echo", #"{"text":"2"}"#)]), textTurn(["first"]),
            textTurn(["second"]),
            toolTurn([("c3", "echo", #"{"text":"3"}"#)]), textTurn(["third"]),
        ])
        let agent = Agent(name: "a", tools: [sessionEcho])
        let session = StreamingSession(runner: AgentRunner(provider: provider), agent: agent, historyLimit: 3)
        #expect(session.historyLimit == 3)

        try await session.respond(to: "one")
        // [user, assistant(c1 c2), tool c1, tool c2, assistant]: the last 3 start at c1's result.
        #expect(session.history == [.assistant("first")])

        try await session.respond(to: "two")
        #expect(provider.requests[2].messages == [.assistant("first"), .user("two")])
        #expect(session.history == [.assistant("first"), .user("two"), .assistant("second")])

        try await session.respond(to: "three")
        let history = session.history
        #expect(history.count <= 3)
        #expect(history.first?.role != "tool")
        #expect(toolResultsFollowTheirCalls(history))
        // Seven messages; the last 3 start at the assistant message that calls c3.
        #expect(history == [
            .assistant("", toolCalls: [ToolCall(id: "c3", name: "echo", arguments: #"{"text":"3"}"#)]),
            .tool(toolCallID: "c3", content: "echo: 3"),
            .assistant("third"),
        ])
        #expect(session.turnCount == 3)
    }

    @Test("the initial history is trimmed to the limit")
    func initTrims() {
        let session = StreamingSession(
            runner: AgentRunner(provider: ScriptedTurns([])),
            agent: Agent(name: "a"),
            history: Self.conversation,
            historyLimit: 4
        )
        #expect(session.history == Array(Self.conversation[5...]))
        #expect(session.turnCount == 0)
    }
}
