import RAAFStreaming
import Synchronization
import Testing

@Suite("Streaming.configure and the demo agents")
struct StreamingSystemTests {
    @Test("the assistant answers a weather question through get_weather, on the offline model")
    func weatherRoundTrip() async throws {
        let system = try Streaming.configure(environment: [:])
        let result = try await system.runner.run(DemoAgents.assistant, "What's the weather in Paris?")
        #expect(result.turns == 2)
        #expect(result.finalOutput == "Here is what I found:\n- \(DemoAgents.forecast(for: "Paris"))\nAnything else I can check for you?")
        #expect(result.lastAgent.name == "assistant")
    }

    @Test("the assistant hands off to support, which answers")
    func handoffToSupport() async throws {
        let system = try Streaming.configure(environment: [:])
        var handoffs: [Handoff] = []
        let result = try await system.runner.run(DemoAgents.assistant, "Please transfer me to support") { chunk in
            if let handoff = chunk.handoff { handoffs.append(handoff) }
        }
        #expect(handoffs.map(\.to) == ["support"])
        #expect(result.lastAgent.name == "support")
        #expect(result.finalOutput.hasPrefix("Hello, this is support."))
    }

    @Test("the demo forecast is stable and get_weather rejects an empty city")
    func forecast() async throws {
        #expect(DemoAgents.forecast(for: "Oslo") == DemoAgents.forecast(for: "Oslo"))
        let output = try await DemoAgents.getWeather.handler(#"{"city":"Oslo"}"#)
        #expect(output == DemoAgents.forecast(for: "Oslo"))
        await #expect(throws: StreamingError.self) { try await DemoAgents.getWeather.handler(#"{"city":" "}"#) }
    }

    @Test("the system's runner publishes on the system's event bus, with configured limits")
    func busWiring() async throws {
        let system = try Streaming.configure(environment: [:]) { config in
            config.events.historySize = 3
            config.streaming.maxTurns = 4
        }
        let chunks = Mutex(0)
        try system.eventBus.on("agent.chunk") { _ in chunks.withLock { $0 += 1 } }
        _ = try await system.runner.run(DemoAgents.support, "hello")
        #expect(chunks.withLock { $0 } > 10)
        #expect(system.eventBus.history().count == 3)
        #expect(system.runner.maxTurns == 4)
    }

    @Test("the system's pipeline passes each delta as it is, split only when longer than streaming.chunkSize")
    func pipeline() async throws {
        let system = try Streaming.configure(environment: ["STREAMING_CHUNK_SIZE": "3"])
        var deltas: [String] = []
        for try await event in system.runner.stream(DemoAgents.support, "hello there") {
            if let text = event.content { deltas.append(text) }
        }
        var pieces: [String] = []
        var final = ""
        for try await event in system.pipeline().apply(to: system.runner.stream(DemoAgents.support, "hello there")) {
            if let text = event.content { pieces.append(text) }
            if let result = Chunk(event).result { final = result.finalOutput }
        }
        #expect(pieces.joined() == final)
        #expect(deltas.contains { $0.count > 3 }, "the answer has deltas to split")
        let expected = deltas.flatMap { delta in
            stride(from: 0, to: delta.count, by: 3).map { start in
                String(delta.dropFirst(start).prefix(3))
            }
        }
        #expect(pieces == expected)
    }

    @Test("STREAMING_COALESCE_MS puts a coalescing step, bounded by STREAMING_BUFFER_SIZE, in the system's pipeline")
    func coalescingPipeline() throws {
        let plain = try Streaming.configure(environment: [:]).pipeline()
        #expect(plain.processors.count == 1)
        #expect(plain.processors.allSatisfy { !$0.holdsEventsInTime })
        let coalescing = try Streaming.configure(environment: ["STREAMING_COALESCE_MS": "20", "STREAMING_BUFFER_SIZE": "512"])
        #expect(coalescing.configuration.streaming.coalesceInterval == .milliseconds(20))
        let step = try #require(coalescing.pipeline().processors.last as? CoalesceProcessor)
        #expect(step.interval == .milliseconds(20))
        #expect(step.maxBytes == 512)
    }

    @Test("an invalid environment value fails configure with a configuration error")
    func invalidEnvironment() {
        #expect(throws: StreamingError.self) { try Streaming.configure(environment: ["WEBSOCKET_PORT": "abc"]) }
    }
}
