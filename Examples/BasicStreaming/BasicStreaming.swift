// The Quick Start of the Ruby gem, in Swift: an agent, a runner, chunks printed as they arrive.
// Runs on the offline model; set OPENAI_API_KEY to talk to a real one.
import RAAFStreaming

@main
struct BasicStreaming {
    static func main() async throws {
        let system = try Streaming.configure()

        let agent = Agent(
            name: "StreamingAgent",
            instructions: "You are a helpful assistant that provides streaming responses",
            tools: [DemoAgents.getWeather]
        )
        let runner = system.runner

        // 1. The block API: one chunk per event, printed the moment it arrives.
        let result = try await runner.run(agent, "Tell me about AI streaming") { chunk in
            if chunk.type == .content, let text = chunk.content {
                print(text, terminator: "")
            }
        }
        print("\n— \(result.usage.totalTokens) tokens in \(result.turns) turn(s)\n")

        // 2. The event stream: tool calls and their results arrive as events too.
        for try await event in runner.stream(agent, "What's the weather in Lisbon?") {
            switch event.kind {
            case .content(let text): print(text, terminator: "")
            case .toolCall(let call, _): print("[calling \(call.name) \(call.arguments)]")
            case .toolOutput(let output): print("[\(output.toolName) → \(output.output)]")
            case .handoff(let handoff): print("[handoff \(handoff.from) → \(handoff.to)]")
            case .complete: print("\n[complete]")
            }
        }

        // 3. Just the result.
        let answer = try await runner.run(agent, "Summarise streaming in one line")
        print("\nFinal answer has \(answer.finalOutput.count) characters.")
    }
}
