/// What the runner asks a model for: one turn of a conversation.
public struct ModelRequest: Sendable, Hashable {
    /// The model name.
    public var model: String
    /// The conversation so far, with the agent's instructions first as a system message.
    public var messages: [ChatMessage]
    /// The tools the model may call.
    public var tools: [ToolDefinition]
    public var settings: ModelSettings
    /// The name of the agent that is speaking; providers may ignore it.
    public var agentName: String

    public init(
        model: String,
        messages: [ChatMessage],
        tools: [ToolDefinition] = [],
        settings: ModelSettings = ModelSettings(),
        agentName: String = ""
    ) {
        self.model = model
        self.messages = messages
        self.tools = tools
        self.settings = settings
        self.agentName = agentName
    }
}

/// Why the model stopped a turn.
public enum FinishReason: String, Sendable, Hashable, Codable {
    case stop
    case length
    case toolCalls = "tool_calls"
    case contentFilter = "content_filter"
}

/// One piece of a streamed model turn.
public enum ModelDelta: Sendable, Hashable {
    /// A fragment of the answer text.
    case text(String)
    /// A fragment of a refusal; the runner treats it as answer text.
    case refusal(String)
    /// The first fragment of tool call number `index` in this turn: its id and name.
    case toolCallStart(index: Int, id: String, name: String)
    /// A fragment of the JSON arguments of tool call number `index`.
    case toolCallArguments(index: Int, fragment: String)
    case finish(FinishReason)
    case usage(Usage)
}
