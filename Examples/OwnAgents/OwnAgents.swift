// Your own agents behind the server, in one line of configuration: `config.agents` serves
// them by name on WebSocket, SSE and in chat rooms. A `triage` agent hands off to `orders`,
// which has a tool of its own (`lookup_order`). Runs on the offline model and exits by itself.
import Foundation
import Logging
import RAAFStreaming
import StreamingWebSocket

/// The arguments of `lookup_order`: the offline model passes the words after the tool's name.
struct OrderQuery: Decodable, Sendable {
    var query: String
}

/// A tool of this program's own: a made-up order book.
let lookupOrder = Tool(
    name: "lookup_order",
    description: "Look up an order by its number.",
    parameters: [
        "type": "object",
        "properties": ["query": ["type": "string", "description": "The order number, e.g. A-1042."]],
        "required": ["query"],
    ]
) { (arguments: OrderQuery) async throws -> String in
    let number = arguments.query.trimmingCharacters(in: .whitespaces)
    guard !number.isEmpty else { throw StreamingError.invalidInput("lookup_order needs an order number") }
    return "Order \(number): shipped yesterday, arriving Thursday."
}

let orders = Agent(
    name: "orders",
    instructions: "You answer questions about orders. Use lookup_order.",
    tools: [lookupOrder],
    handoffDescription: "Knows where every order is."
)

/// Triage names its handoff target by name only; it resolves to the registered `orders`.
let triage = Agent(
    name: "triage",
    instructions: "Greet the customer and transfer order questions to orders.",
    handoffs: [Agent(name: "orders")]
)

@main
struct OwnAgentsExample {
    static func main() async throws {
        let system = try Streaming.configure(provider: ScriptedModelProvider()) { config in
            try config.paceForPeople()
            config.agents = [triage, orders]  // served by name; the demo agents are not
            config.websocket.host = "127.0.0.1"
        }
        let logger = {
            var logger = system.logger("own-agents")
            logger.logLevel = .warning
            return logger
        }()

        let server = try RealtimeServer(system: system, port: 0, chatStore: InMemoryChatStore(), handlesSignals: false)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await server.run() }
            let port = try await server.waitUntilListening()
            say("Serving \(system.agents.keys.sorted().joined(separator: ", ")) on http://127.0.0.1:\(port)\n")

            try await askTheAgents(url: "ws://127.0.0.1:\(port)/ws", logger: logger)
            await server.shutdown()
            try await tasks.waitForAll()
        }
        try await system.shutdown()
        say("Server stopped.\n")
    }

    /// A client asks triage (which hands off to orders), then orders (which runs its tool).
    static func askTheAgents(url: String, logger: Logger) async throws {
        try await WebSocketClient.withConnection(.init(url: url), logger: logger) { client in
            for (agent, input) in [("triage", "Hello! transfer me to orders"), ("orders", "lookup_order A-1042")] {
                say("\n> \(agent): \(input)\n")
                for try await event in try client.startAgentStream(agent: agent, input: input) {
                    switch event.kind {
                    case .content(let text): say(text)
                    case .toolCall(let call, _): say("[tool \(call.name)(\(call.arguments))]\n")
                    case .toolOutput(let output): say("[\(output.output)]\n")
                    case .handoff(let from, let to, _): say("[handoff \(from) -> \(to)]\n")
                    case .complete: say("\n")
                    default: break
                    }
                }
            }
        }
    }
}

/// Writes to standard output unbuffered, so each token shows the moment it arrives.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
