import StreamingApplication
import StreamingDomain
import StreamingMemory
import Testing

@Suite("The offline model")
struct ScriptedModelProviderTests {
    static let weatherTool = ToolDefinition(name: "get_weather", description: "", parameters: ["type": "object"])
    static let timeTool = ToolDefinition(name: "get_time", description: "", parameters: ["type": "object"])

    func deltas(_ messages: [ChatMessage], tools: [ToolDefinition] = [], agent: String = "assistant") async throws
        -> [ModelDelta]
    {
        let request = ModelRequest(model: "offline", messages: messages, tools: tools, agentName: agent)
        var deltas: [ModelDelta] = []
        for try await delta in try await ScriptedModelProvider().stream(request) { deltas.append(delta) }
        return deltas
    }

    func text(of deltas: [ModelDelta]) -> String {
        deltas.compactMap { if case .text(let text) = $0 { text } else { nil } }.joined()
    }

    @Test("writes paragraphs that quote the user, in many small deltas, with newlines and non-ASCII text")
    func essay() async throws {
        let deltas = try await deltas([.user("Tell me about streaming")])
        let answer = text(of: deltas)
        #expect(answer.contains("“Tell me about streaming”"))
        #expect(answer.contains("\n\n"))
        #expect(answer.unicodeScalars.contains { !$0.isASCII })
        let pieces = deltas.filter { if case .text = $0 { true } else { false } }
        #expect(pieces.count > 20)
        #expect(deltas.contains(.finish(.stop)))
        #expect(deltas.contains { if case .usage(let usage) = $0 { usage.completionTokens > 0 } else { false } })
    }

    @Test("is deterministic")
    func deterministic() async throws {
        let first = try await deltas([.user("same words")])
        let second = try await deltas([.user("same words")])
        #expect(first == second)
    }

    @Test("calls get_weather once per city, with the arguments in several fragments")
    func weatherCall() async throws {
        let deltas = try await deltas([.user("What's the weather in Paris and São Paulo?")], tools: [Self.weatherTool])
        var starts: [String] = []
        var arguments: [Int: String] = [:]
        for delta in deltas {
            switch delta {
            case .toolCallStart(let index, _, let name):
                starts.append(name)
                arguments[index] = ""
            case .toolCallArguments(let index, let fragment): arguments[index]! += fragment
            default: break
            }
        }
        #expect(starts == ["get_weather", "get_weather"])
        #expect(arguments[0] == #"{"city":"Paris"}"#)
        #expect(arguments[1] == #"{"city":"São Paulo"}"#)
        let fragments = deltas.filter { if case .toolCallArguments(0, _) = $0 { true } else { false } }
        #expect(fragments.count > 1)
        #expect(deltas.contains(.finish(.toolCalls)))
    }

    @Test("without the tool, a weather question gets a text answer")
    func weatherWithoutTool() async throws {
        let deltas = try await deltas([.user("What's the weather in Paris?")])
        #expect(!text(of: deltas).isEmpty)
        #expect(!deltas.contains { if case .toolCallStart = $0 { true } else { false } })
    }

    @Test("answers from the tool results on the next turn")
    func answersFromResults() async throws {
        let call = ToolCall(id: "call_1_0", name: "get_weather", arguments: #"{"city":"Paris"}"#)
        let deltas = try await deltas(
            [.user("weather in Paris"), .assistant("", toolCalls: [call]), .tool(toolCallID: "call_1_0", content: "Paris: sunny, 20 °C")],
            tools: [Self.weatherTool]
        )
        #expect(text(of: deltas) == "Here is what I found:\n- Paris: sunny, 20 °C\nAnything else I can check for you?")
    }

    @Test("calls get_time when asked for the time")
    func timeCall() async throws {
        let deltas = try await deltas([.user("What time is it?")], tools: [Self.timeTool])
        #expect(deltas.contains { if case .toolCallStart(_, _, "get_time") = $0 { true } else { false } })
    }

    @Test("hands off when told to transfer to an agent it may hand off to")
    func transfer() async throws {
        let handoffTool = ToolDefinition(name: "transfer_to_support", description: "", parameters: ["type": "object"])
        let deltas = try await deltas([.user("Please transfer me to support.")], tools: [handoffTool])
        #expect(deltas.contains { if case .toolCallStart(_, _, "transfer_to_support") = $0 { true } else { false } })

        let unknown = try await self.deltas([.user("Please transfer me to sales.")], tools: [handoffTool])
        #expect(!unknown.contains { if case .toolCallStart = $0 { true } else { false } })
    }

    @Test("the new agent introduces itself after a handoff")
    func afterHandoff() async throws {
        let call = ToolCall(id: "h", name: "transfer_to_support", arguments: "{}")
        let deltas = try await deltas(
            [.user("transfer me to support"), .assistant("", toolCalls: [call]), .tool(toolCallID: "h", content: #"{"assistant":"support"}"#)],
            agent: "support"
        )
        #expect(text(of: deltas).hasPrefix("Hello, this is support."))
    }

    @Test("SimulatedProvider waits the delay before each delta on its clock")
    func simulatedDelay() async throws {
        let clock = ManualClock()
        let provider = SimulatedProvider(base: ScriptedModelProvider(), delay: .milliseconds(50), clock: clock)
        let stream = try await provider.stream(ModelRequest(model: "m", messages: [.user("hi")]))
        let consumer = Task {
            var count = 0
            for try await _ in stream { count += 1 }
            return count
        }
        let expected = ScriptedModelProvider.deltas(for: ModelRequest(model: "m", messages: [.user("hi")])).count
        for _ in 0...expected {
            try await clock.waitForSleepers(1)
            #expect(clock.sleeperCount == 1)
            clock.advance(by: .milliseconds(50))
        }
        #expect(try await consumer.value == expected)
    }
}
