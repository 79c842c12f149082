import Foundation
import RAAFStreaming
import StreamingTestSupport
import Testing

/// The provider end to end against an independent OpenAI-compatible server.
@Suite(
    "OpenAIProvider against fakellm",
    .serialized,
    .enabled(Comment(rawValue: FakeLLM.requirement)) { await FakeLLM.isAvailable() }
)
struct FakeLLMEndToEndTests {
    static func withRunner<Result>(_ body: (AgentRunner) async throws -> Result) async throws -> Result {
        try await FakeLLM.run { baseURL in
            let provider = OpenAIProvider(configuration: .init(baseURL: baseURL, apiKey: "sk-fake", idleTimeout: .seconds(10)))
            do {
                let result = try await body(AgentRunner(provider: provider, defaultModel: "gpt-4o-mini"))
                try await provider.shutdown()
                return result
            } catch {
                try await provider.shutdown()
                throw error
            }
        }
    }

    @Test("text with newlines and non-ASCII characters streams in several chunks and arrives exactly")
    func unicodeText() async throws {
        let (chunks, result) = try await Self.withRunner { runner in
            var chunks: [String] = []
            let result = try await runner.run(Agent(name: "a"), "Please say something unusual") { chunk in
                if chunk.type == .content, let text = chunk.content { chunks.append(text) }
            }
            return (chunks, result)
        }
        let expected = "Première ligne — ünïcødé ✓\nSecond line with 🙂 and 漢字\n\nLast line."
        #expect(result.finalOutput == expected)
        #expect(chunks.joined() == expected)
        #expect(chunks.count > 5)
    }

    @Test("a tool call streamed in fragments runs get_weather, and the next turn answers from its result")
    func weatherRoundTrip() async throws {
        // The rules file matches this exact tool result.
        #expect(DemoAgents.forecast(for: "Paris") == "Paris: windy, 12 °C")
        let agent = Agent(name: "assistant", tools: [DemoAgents.getWeather])
        let (events, result) = try await Self.withRunner { runner in
            var events: [StreamEvent] = []
            let result = try await runner.run(agent, "What's the weather in Paris?") { chunk in events.append(chunk.event) }
            return (events, result)
        }
        #expect(result.finalOutput == "It is windy in Paris (12 °C) — take a scarf.\nAnything else?")
        #expect(result.turns == 2)
        let call = try #require(events.compactMap { Chunk($0).toolCall }.first)
        #expect(call.name == "get_weather")
        #expect(try JSONDecoder().decode([String: String].self, from: Data(call.arguments.utf8)) == ["city": "Paris"])
        #expect(events.compactMap { Chunk($0).toolOutput?.output } == ["Paris: windy, 12 °C"])
        #expect(events.map(\.seq) == Array(1...events.count))
    }
}
