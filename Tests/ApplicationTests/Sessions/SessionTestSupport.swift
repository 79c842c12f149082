import StreamingApplication
import StreamingDomain
import Testing

/// A tool that echoes its `text` argument, for turns with tool calls.
let sessionEcho = Tool(name: "echo", description: "Echoes its text.", parameters: ["type": "object"]) {
    (arguments: [String: String]) async throws -> String in
    "echo: " + (arguments["text"] ?? "")
}

/// Whether every tool result in `history` follows the assistant message that called it.
func toolResultsFollowTheirCalls(_ history: [ChatMessage]) -> Bool {
    var called: Set<String> = []
    for message in history {
        switch message {
        case .assistant(_, let calls): called.formUnion(calls.map(\.id))
        case .tool(let id, _): if !called.contains(id) { return false }
        default: break
        }
    }
    return true
}

/// The text of an ``StreamingError/invalidInput(_:)``, or `nil` for any other error.
func invalidInputText(_ error: (any Error)?) -> String? {
    if case StreamingError.invalidInput(let text)? = error as? StreamingError { return text }
    return nil
}
