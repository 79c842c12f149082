/// A tool call the model asked for: `arguments` is the JSON text the model wrote.
public struct ToolCall: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// One message of a conversation, in the roles of the Chat Completions protocol.
public enum ChatMessage: Sendable, Hashable {
    case system(String)
    case user(String)
    /// An assistant turn: its text (possibly empty) and the tool calls it made.
    case assistant(String, toolCalls: [ToolCall] = [])
    /// The result of one tool call, answering the call with id `toolCallID`.
    case tool(toolCallID: String, content: String)

    /// The role name as the Chat Completions protocol spells it.
    public var role: String {
        switch self {
        case .system: "system"
        case .user: "user"
        case .assistant: "assistant"
        case .tool: "tool"
        }
    }

    /// The text of the message.
    public var content: String {
        switch self {
        case .system(let text), .user(let text), .assistant(let text, _): text
        case .tool(_, let content): content
        }
    }

    /// The tool calls of an assistant message; empty for every other role.
    public var toolCalls: [ToolCall] {
        if case .assistant(_, let calls) = self { return calls }
        return []
    }
}

extension ChatMessage: Codable {
    enum CodingKeys: String, CodingKey {
        case role, content
        case toolCalls = "tool_calls"
        case toolCallID = "tool_call_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let role = try container.decode(String.self, forKey: .role)
        let content = try container.decodeIfPresent(String.self, forKey: .content) ?? ""
        switch role {
        case "system": self = .system(content)
        case "user": self = .user(content)
        case "assistant":
            let calls = try container.decodeIfPresent([ToolCall].self, forKey: .toolCalls) ?? []
            self = .assistant(content, toolCalls: calls)
        case "tool":
            self = .tool(toolCallID: try container.decode(String.self, forKey: .toolCallID), content: content)
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .role,
                in: container,
                debugDescription: "unknown role \"\(role)\""
            )
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(role, forKey: .role)
        try container.encode(content, forKey: .content)
        switch self {
        case .assistant(_, let calls) where !calls.isEmpty:
            try container.encode(calls, forKey: .toolCalls)
        case .tool(let id, _):
            try container.encode(id, forKey: .toolCallID)
        default:
            break
        }
    }
}
