/// The result of one tool call, as the run reports it.
public struct ToolOutput: Sendable, Hashable {
    public var callID: String
    public var toolName: String
    public var output: String
    /// `true` when the tool threw, was unknown or got arguments it could not read.
    public var isError: Bool
    /// The agent that called the tool.
    public var agent: String

    public init(callID: String, toolName: String, output: String, isError: Bool = false, agent: String) {
        self.callID = callID
        self.toolName = toolName
        self.output = output
        self.isError = isError
        self.agent = agent
    }
}

/// A switch of the speaking agent.
public struct Handoff: Sendable, Hashable {
    public var from: String
    public var to: String
    /// The reason the model gave, when it gave one.
    public var reason: String?
    public var callID: String

    public init(from: String, to: String, reason: String? = nil, callID: String) {
        self.from = from
        self.to = to
        self.reason = reason
        self.callID = callID
    }
}

/// One event of an agent run. `seq` numbers the events of a run from 1, without gaps.
public struct StreamEvent: Sendable, Equatable {
    public var seq: Int
    public var kind: Kind

    /// What happened. Only `content` is stored inline: the other cases are rare and large,
    /// and boxing them keeps an event small to move on the per-token hot path.
    public enum Kind: Sendable, Equatable {
        /// A piece of the answer text.
        case content(String)
        /// The model called a tool; `agent` is the agent that called it.
        indirect case toolCall(ToolCall, agent: String)
        indirect case toolOutput(ToolOutput)
        indirect case handoff(Handoff)
        /// The run finished with a final answer.
        indirect case complete(RunResult)
    }

    public init(seq: Int, kind: Kind) {
        self.seq = seq
        self.kind = kind
    }

    /// The frame type name on the wire and in NDJSON output.
    public var typeName: String {
        switch kind {
        case .content: "response_chunk"
        case .toolCall: "tool_call"
        case .toolOutput: "tool_output"
        case .handoff: "handoff"
        case .complete: "complete"
        }
    }

    /// The answer text of a `content` event, else `nil`.
    public var content: String? {
        if case .content(let text) = kind { return text }
        return nil
    }
}

extension StreamEvent {
    /// The event as one compact JSON object: `type`, then `id` (when given), `seq` and the
    /// fields of its kind. This is the frame format of `docs/PROTOCOL.md` and of `--json`.
    public func jsonText(streamID: String? = nil) -> String {
        var writer = JSONWriter()
        write(to: &writer, streamID: streamID)
        return writer.output
    }

    /// Writes the event as one JSON object into `writer`.
    public func write(to writer: inout JSONWriter, streamID: String? = nil) {
        writer.beginObject()
        writer.field("type", typeName)
        if let streamID { writer.field("id", streamID) }
        writer.field("seq", seq)
        switch kind {
        case .content(let text):
            writer.field("content", text)
        case .toolCall(let call, let agent):
            writer.field("call_id", call.id)
            writer.field("name", call.name)
            writer.field("arguments", call.arguments)
            writer.field("agent", agent)
        case .toolOutput(let output):
            writer.field("call_id", output.callID)
            writer.field("name", output.toolName)
            writer.field("output", output.output)
            writer.field("is_error", output.isError)
            writer.field("agent", output.agent)
        case .handoff(let handoff):
            writer.field("from", handoff.from)
            writer.field("to", handoff.to)
            if let reason = handoff.reason { writer.field("reason", reason) }
        case .complete(let result):
            writer.field("content", result.finalOutput)
            writer.field("agent", result.lastAgent.name)
            writer.field("turns", result.turns)
            writer.key("usage")
            writer.beginObject()
            writer.field("prompt_tokens", result.usage.promptTokens)
            writer.field("completion_tokens", result.usage.completionTokens)
            writer.field("total_tokens", result.usage.totalTokens)
            writer.endObject()
        }
        writer.endObject()
    }
}
