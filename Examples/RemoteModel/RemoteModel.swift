// Streams an answer from any OpenAI-compatible server (OpenAI, Ollama, vLLM, llama.cpp's
// server, LM Studio, OpenRouter) through OpenAIProvider, with typed errors.
//
//   OPENAI_API_KEY=sk-... swift run RemoteModel
//   OPENAI_BASE_URL=http://localhost:11434/v1 RAAF_MODEL=llama3.2 swift run RemoteModel
//
// With neither variable set it says so and exits: this machine may have no model server.
import Foundation
import RAAFStreaming

@main
struct RemoteModel {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENAI_API_KEY"] != nil || environment["OPENAI_BASE_URL"] != nil else {
            print("Set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (any compatible server) to run this example.")
            return
        }
        let provider = OpenAIProvider(
            configuration: .init(
                baseURL: environment["OPENAI_BASE_URL"] ?? OpenAIProvider.Configuration().baseURL,
                apiKey: environment["OPENAI_API_KEY"],
                idleTimeout: .seconds(60),
                retry: RetryPolicy(maxRetries: 3)
            )
        )
        let runner = AgentRunner(provider: provider, defaultModel: environment["RAAF_MODEL"] ?? "gpt-4o-mini")
        let agent = Agent(name: "assistant", instructions: "Answer briefly.", tools: [DemoAgents.getWeather])
        do {
            for try await event in runner.stream(agent, "What's the weather in Paris?") {
                switch event.kind {
                case .content(let text): print(text, terminator: "")
                case .toolCall(let call, _): print("[\(call.name) \(call.arguments)]")
                case .toolOutput(let output): print("[→ \(output.output)]")
                case .handoff, .complete: break
                }
            }
            print()
        } catch let error as StreamingError {
            switch error {
            case .provider(let status, let message): print("The server said \(status): \(message)")
            case .timeout, .connection: print("The model server could not be reached: \(error)")
            default: print("The run failed: \(error)")
            }
        }
        try await provider.shutdown()
    }
}
