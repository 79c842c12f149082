import StreamingApplication
import StreamingDomain
import StreamingTestSupport
import Synchronization
import Testing

@Suite("AgentRunner")
struct AgentRunnerTests {
    let echo = Tool(name: "echo", description: "Echoes its text.", parameters: ["type": "object"]) {
        (arguments: [String: String]) async throws -> String in
        "echo: " + (arguments["text"] ?? "")
    }

    @Test("streams text deltas as content events numbered from 1, then completes")
    func streamsText() async throws {
        let provider = ScriptedTurns([textTurn(["Hel", "lo, ", "wörld\n", "✓"])])
        let runner = AgentRunner(provider: provider)
        let events = try await collect(runner.stream(Agent(name: "a", instructions: "Be nice."), "hi"))

        #expect(events.map(\.seq) == Array(1...events.count))
        #expect(events.compactMap(\.content) == ["Hel", "lo, ", "wörld\n", "✓"])
        guard case .complete(let result) = events.last?.kind else {
            Issue.record("the last event is not complete")
            return
        }
        #expect(result.finalOutput == "Hello, wörld\n✓")
        #expect(result.turns == 1)
        #expect(result.usage == Usage(promptTokens: 10, completionTokens: 5))
        #expect(result.messages == [.user("hi"), .assistant("Hello, wörld\n✓")])
        // The instructions go first, as a system message, and are not part of the result.
        #expect(provider.requests.first?.messages == [.system("Be nice."), .user("hi")])
    }

    @Test("assembles tool-call arguments split across many deltas, runs the tool, and answers")
    func assemblesFragments() async throws {
        let arguments = #"{"text":"a long argument, ünïcödé and \"quotes\""}"#
        let provider = ScriptedTurns([
            toolTurn([("call_1", "echo", arguments)], fragmentSize: 1),
            textTurn(["done"]),
        ])
        let agent = Agent(name: "a", tools: [echo])
        let events = try await collect(AgentRunner(provider: provider).stream(agent, "go"))

        #expect(events.map(\.seq) == Array(1...events.count))
        let call = events.compactMap { event -> ToolCall? in
            if case .toolCall(let call, _) = event.kind { return call }
            return nil
        }
        #expect(call == [ToolCall(id: "call_1", name: "echo", arguments: arguments)])
        let output = events.compactMap { Chunk($0).toolOutput }
        #expect(output.map(\.output) == [#"echo: a long argument, ünïcödé and "quotes""#])
        #expect(output.map(\.isError) == [false])
        // The second request carries the assistant's call and the tool's result.
        let second = provider.requests[1].messages
        #expect(second.suffix(2) == [
            .assistant("", toolCalls: [ToolCall(id: "call_1", name: "echo", arguments: arguments)]),
            .tool(toolCallID: "call_1", content: #"echo: a long argument, ünïcödé and "quotes""#),
        ])
    }

    @Test("runs the tool calls of one turn concurrently")
    func toolsRunConcurrently() async throws {
        let meeting = Rendezvous(expected: 2)
        let intervals = Mutex<[String: (start: ContinuousClock.Instant, end: ContinuousClock.Instant)]>([:])
        let slow = Tool(name: "slow", description: "Waits for the other call.", parameters: ["type": "object"]) {
            (arguments: [String: String]) async throws -> String in
            let start = ContinuousClock.now
            // Each call waits until the other has started: run one after the other, this would time out.
            try await meeting.arrive(timeout: .seconds(5))
            intervals.withLock { $0[arguments["id"]!] = (start, ContinuousClock.now) }
            return "ok " + arguments["id"]!
        }
        let provider = ScriptedTurns([
            toolTurn([("c1", "slow", #"{"id":"1"}"#), ("c2", "slow", #"{"id":"2"}"#)]),
            textTurn(["both done"]),
        ])
        let result = try await AgentRunner(provider: provider).run(Agent(name: "a", tools: [slow]), "go")

        #expect(result.finalOutput == "both done")
        let measured = intervals.withLock { $0 }
        let first = try #require(measured["1"])
        let second = try #require(measured["2"])
        // Measured overlap: each call started before the other ended.
        #expect(first.start < second.end && second.start < first.end)
        // Results are appended in call order whatever order the calls finished in.
        #expect(result.messages.compactMap { message -> String? in
            if case .tool(let id, _) = message { return id }
            return nil
        } == ["c1", "c2"])
    }

    @Test("a transfer_to_<agent> call hands the conversation over and is reported as a handoff")
    func handoff() async throws {
        let support = Agent(name: "Support Team", instructions: "You are support.")
        let triage = Agent(name: "triage", instructions: "You triage.", tools: [echo], handoffs: [support])
        #expect(support.handoffToolName == "transfer_to_support_team")
        let provider = ScriptedTurns([
            toolTurn([("h1", "transfer_to_support_team", #"{"reason":"billing"}"#)]),
            textTurn(["Support here."]),
        ])
        let events = try await collect(AgentRunner(provider: provider).stream(triage, "my bill is wrong"))

        let kinds = events.map { Chunk($0).type }
        #expect(kinds == [.handoff, .content, .complete])
        #expect(Chunk(events[0]).handoff == Handoff(from: "triage", to: "Support Team", reason: "billing", callID: "h1"))
        #expect(provider.requests[0].tools.map(\.name) == ["echo", "transfer_to_support_team"])
        #expect(provider.requests[1].agentName == "Support Team")
        #expect(provider.requests[1].messages.first == .system("You are support."))
        #expect(Chunk(events[2]).result?.lastAgent.name == "Support Team")
    }

    @Test("a run that needs more turns than maxTurns fails with maxTurnsExceeded")
    func maxTurnsExceeded() async throws {
        let loop = toolTurn([("c", "echo", #"{"text":"again"}"#)])
        let provider = ScriptedTurns([loop, loop, loop, loop])
        let runner = AgentRunner(provider: provider, maxTurns: 3)
        await #expect(throws: StreamingError.maxTurnsExceeded(maxTurns: 3)) {
            try await runner.run(Agent(name: "a", tools: [echo]), "go")
        }
        #expect(provider.requests.count == 3)
    }

    @Test("a run that finishes on its last allowed turn succeeds")
    func finishesOnLastTurn() async throws {
        let loop = toolTurn([("c", "echo", #"{"text":"again"}"#)])
        let provider = ScriptedTurns([loop, loop, textTurn(["finally"])])
        let result = try await AgentRunner(provider: provider, maxTurns: 3).run(Agent(name: "a", tools: [echo]), "go")
        #expect(result.turns == 3)
        #expect(result.finalOutput == "finally")
    }

    @Test("the default turn limit is 10")
    func defaultMaxTurns() {
        #expect(AgentRunner(provider: ScriptedTurns([])).maxTurns == 10)
    }

    @Test("a tool that throws gives an error result and the run goes on")
    func throwingTool() async throws {
        let broken = Tool(name: "broken", description: "Always fails.", parameters: ["type": "object"]) {
            (_: [String: String]) async throws -> String in
            throw StreamingError.invalidInput("the disk is on fire")
        }
        let provider = ScriptedTurns([
            toolTurn([("c1", "broken", "{}"), ("c2", "missing", "{}"), ("c3", "echo", "not json")]),
            textTurn(["recovered"]),
        ])
        let events = try await collect(AgentRunner(provider: provider).stream(Agent(name: "a", tools: [broken, echo]), "go"))
        let outputs = events.compactMap { Chunk($0).toolOutput }
        #expect(outputs.map(\.isError) == [true, true, true])
        #expect(outputs[0].output.contains("the disk is on fire"))
        #expect(outputs[1].output.contains("no tool named missing"))
        #expect(outputs[2].output.contains("arguments of echo"))
        #expect(Chunk(events.last!).result?.finalOutput == "recovered")
    }

    @Test("cancelling the consumer stops the provider's stream promptly")
    func cancellationStopsProvider() async throws {
        let provider = EndlessProvider()
        let runner = AgentRunner(provider: provider)
        let firstEvent = Mutex(false)
        let task = Task {
            try await runner.run(Agent(name: "a"), "go") { _ in firstEvent.withLock { $0 = true } }
        }
        try await waitUntil("the first chunk") { firstEvent.withLock { $0 } }
        let cancelledAt = ContinuousClock.now
        task.cancel()
        await #expect(throws: StreamingError.cancelled) { try await task.value }
        #expect(ContinuousClock.now - cancelledAt < .seconds(2))
        try await waitUntil("the provider to see the cancellation") { provider.sawCancellation }
    }

    @Test("a model stream that ends quietly on cancellation does not complete the run")
    func quietEndOnCancellation() async throws {
        // AsyncStream returns nil, not an error, once its consumer is cancelled.
        struct QuietProvider: ModelProvider {
            func stream(_ request: ModelRequest) async throws -> ModelResponseStream {
                ModelResponseStream(AsyncStream<ModelDelta> { $0.yield(.text("partial ")) })
            }
        }
        let firstEvent = Mutex(false)
        let task = Task {
            try await AgentRunner(provider: QuietProvider()).run(Agent(name: "a"), "go") { _ in
                firstEvent.withLock { $0 = true }
            }
        }
        try await waitUntil("the first chunk") { firstEvent.withLock { $0 } }
        task.cancel()
        await #expect(throws: StreamingError.cancelled) { try await task.value }
    }

    @Test("cancelling the consumer cancels the running tools")
    func cancellationStopsTools() async throws {
        let started = Mutex(false)
        let toolCancelled = Mutex(false)
        let hang = Tool(name: "hang", description: "Never returns.", parameters: ["type": "object"]) {
            (_: [String: String]) async throws -> String in
            started.withLock { $0 = true }
            do {
                try await Task.sleep(for: .seconds(3600))
            } catch {
                toolCancelled.withLock { $0 = true }
                throw error
            }
            return "unreachable"
        }
        let provider = ScriptedTurns([toolTurn([("c1", "hang", "{}")]), textTurn(["never"])])
        let task = Task { try await AgentRunner(provider: provider).run(Agent(name: "a", tools: [hang]), "go") }
        try await waitUntil("the tool to start") { started.withLock { $0 } }
        task.cancel()
        await #expect(throws: StreamingError.cancelled) { try await task.value }
        #expect(toolCancelled.withLock { $0 })
        #expect(provider.requests.count == 1)
    }

    @Test("tool-call arguments before the call's start are a protocol error")
    func argumentsBeforeStart() async throws {
        let provider = ScriptedTurns([[.toolCallArguments(index: 0, fragment: "{}"), .finish(.toolCalls)]])
        await #expect(throws: StreamingError.self) {
            try await AgentRunner(provider: provider).run(Agent(name: "a"), "go")
        }
    }

    @Test("the closure API sees every chunk type in order and returns the result")
    func closureAPI() async throws {
        let provider = ScriptedTurns([toolTurn([("c1", "echo", #"{"text":"x"}"#)]), textTurn(["a", "b"])])
        let seen = Mutex<[Chunk.ChunkType]>([])
        let result = try await AgentRunner(provider: provider).run(Agent(name: "a", tools: [echo]), "go") { chunk in
            seen.withLock { $0.append(chunk.type) }
        }
        #expect(seen.withLock { $0 } == [.toolCall, .toolOutput, .content, .content, .complete])
        #expect(result.finalOutput == "ab")
        #expect(result.usage.totalTokens == 12 + 15)
    }

    @Test("publishes the run's events on the event bus")
    func publishesOnBus() async throws {
        let bus = EventBus()
        let topics = Mutex<[String]>([])
        try bus.on("agent.*") { event in topics.withLock { $0.append(event.topic) } }
        let provider = ScriptedTurns([toolTurn([("c1", "echo", #"{"text":"x"}"#)]), textTurn(["a", "b"])])
        _ = try await AgentRunner(provider: provider, eventBus: bus).run(Agent(name: "a", tools: [echo]), "go")
        #expect(topics.withLock { $0 } == [
            "agent.start", "agent.tool_call", "agent.tool_output", "agent.chunk", "agent.chunk", "agent.complete",
        ])

        let failing = AgentRunner(provider: ScriptedTurns([]), eventBus: bus)
        _ = try? await failing.run(Agent(name: "a"), "go")
        #expect(topics.withLock { $0.last } == "agent.error")
    }
}

/// A provider whose stream never ends: one delta every millisecond until cancelled.
final class EndlessProvider: ModelProvider {
    private let cancelled = Mutex(false)
    var sawCancellation: Bool { cancelled.withLock { $0 } }

    func stream(_ request: ModelRequest) async throws -> ModelResponseStream {
        let deltas = AsyncThrowingStream<ModelDelta, any Error> { continuation in
            let producer = Task {
                do {
                    while true {
                        try await Task.sleep(for: .milliseconds(1))
                        continuation.yield(.text("tick "))
                    }
                } catch {
                    self.cancelled.withLock { $0 = true }
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in producer.cancel() }
        }
        return ModelResponseStream(deltas)
    }
}

/// Lets `expected` tasks wait for each other, or fail after a timeout.
actor Rendezvous {
    private let expected: Int
    private var arrived = 0

    init(expected: Int) {
        self.expected = expected
    }

    func arrive(timeout: Duration) async throws {
        arrived += 1
        let deadline = ContinuousClock.now + timeout
        while arrived < expected {
            guard ContinuousClock.now < deadline else { throw TimedOut(what: "\(expected) arrivals") }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
