// The Quick Start of the Ruby gem, in Swift: an agent, a runner, chunks printed as they arrive.
// Runs on the offline model, at a real model's pace (RAAF_SIMULATION_DELAY_MS=0 for instant);
// set OPENAI_API_KEY to talk to a real one.
import Foundation
import RAAFStreaming

@main
struct BasicStreaming {
    static func main() async throws {
        // A person watches this stream: the offline model at a real model's pace.
        let system = try Streaming.configure { try $0.paceForPeople() }

        let agent = Agent(
            name: "StreamingAgent",
            instructions: "You are a helpful assistant that provides streaming responses",
            tools: [DemoAgents.getWeather]
        )
        let runner = system.runner

        // 1. The block API: one chunk per event, printed the moment it arrives.
        let result = try await runner.run(agent, "Tell me about AI streaming") { chunk in
            if chunk.type == .content, let text = chunk.content {
                say(text, terminator: "")
            }
        }
        say("\n— \(result.usage.totalTokens) tokens in \(result.turns) turn(s)\n")

        // 2. The event stream: tool calls and their results arrive as events too.
        for try await event in runner.stream(agent, "What's the weather in Lisbon?") {
            switch event.kind {
            case .content(let text): say(text, terminator: "")
            case .toolCall(let call, _): say("[calling \(call.name) \(call.arguments)]")
            case .toolOutput(let output): say("[\(output.toolName) → \(output.output)]")
            case .handoff(let handoff): say("[handoff \(handoff.from) → \(handoff.to)]")
            case .complete: say("\n[complete]")
            }
        }

        // 3. Just the result.
        let answer = try await runner.run(agent, "Summarise streaming in one line")
        say("\nFinal answer has \(answer.finalOutput.count) characters.")
    }
}

/// `print` without the buffer: standard output is written at once, so each token shows the
/// moment it arrives, in order with the lines around it, also when the output is a pipe.
func say(_ text: String, terminator: String = "\n") {
    FileHandle.standardOutput.write(Data((text + terminator).utf8))
}
