// The in-process chat of the Ruby guide (RealTimeChat): no server, no socket. The assistant
// answers with typing indicators and paced chunks, calls a tool, then the support agent is
// brought in and takes over; the conversation's history at the end. Runs on the offline model.
import Foundation
import RAAFStreaming

@main
struct RealTimeChatExample {
    static func main() async throws {
        let system = try Streaming.configure(provider: ScriptedModelProvider())
        let chat = try system.realTimeChat(
            agent: DemoAgents.assistant,
            options: .init(enableTypingIndicators: true, responseDelay: .milliseconds(20), maxMessageLength: 500))
        try await chat.withRunning { chat in
            for message in ["What's the weather in Oslo?", "transfer me to support"] {
                say("you: \(message)\n")
                if message.hasPrefix("transfer") { try await chat.addAgent("support") }
                try await chat.sendMessage(message) { event in
                    switch event {
                    case .typingStart(let agent): say("[\(agent) is typing]\n")
                    case .content(let text, _): say(text)
                    case .toolCall(let name, let arguments, _): say("[tool \(name) \(arguments)]\n")
                    case .toolOutput(_, let output, _): say("[\(output)]\n")
                    case .handoff(let from, let to, _): say("[handoff \(from ?? "?") -> \(to)]\n")
                    case .typingStop: say("\n")
                    }
                }
            }
            do {
                _ = try chat.sendMessage(String(repeating: "x", count: 501))
            } catch {
                say("refused: \(error)\n")
            }
            let history = try await chat.history()
            say("history: \(history.count) messages (\(history.map(\.author).joined(separator: ", ")))\n")
        }
    }
}

/// Writes to standard output unbuffered, so each token shows the moment it arrives.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
