import StreamingApplication
import StreamingDomain

/// One event of an agent stream as a ``WebSocketClient`` receives it: the decoded
/// `response_chunk`, `tool_call`, `tool_output`, `handoff` or `complete` frame.
///
/// Events reach the consumer of ``WebSocketClient/startAgentStream(agent:input:id:)`` in
/// `seq` order, from 1, each exactly once, whatever reconnects happened in between.
public struct AgentStreamEvent: Sendable, Hashable {
    /// The stream's id.
    public var streamID: String
    /// The event's sequence number: 1, 2, 3... without gaps.
    public var seq: Int
    /// What happened.
    public var kind: Kind

    /// The kinds of stream events, one per frame type.
    public enum Kind: Sendable, Hashable {
        /// `response_chunk`: a piece of the answer text.
        case content(String)
        /// `tool_call`: the model called a tool; `agent` is the agent that called it.
        case toolCall(ToolCall, agent: String)
        /// `tool_output`: the result of a tool call.
        case toolOutput(ToolOutput)
        /// `handoff`: the conversation moved from one agent to another.
        case handoff(from: String, to: String, reason: String?)
        /// `complete`: the run finished; the last event of a stream.
        case complete(AgentStreamCompletion)
        /// A stream frame of a type this client does not know, kept whole.
        case other(type: String, fields: [String: JSONValue])
    }

    /// Creates an event (the client decodes them; tests and adapters may build their own).
    public init(streamID: String, seq: Int, kind: Kind) {
        self.streamID = streamID
        self.seq = seq
        self.kind = kind
    }

    /// The answer text of a `response_chunk`, else `nil`.
    public var content: String? {
        if case .content(let text) = kind { return text }
        return nil
    }

    /// Whether this is the `complete` event that ends the stream.
    public var isComplete: Bool {
        if case .complete = kind { return true }
        return false
    }

    /// The frame types that belong to an agent stream (besides `error`).
    static let frameTypes: Set<String> = ["response_chunk", "tool_call", "tool_output", "handoff", "complete"]

    /// Decodes a stream frame; `type`, `id` and `seq` are already read.
    init(type: String, id: String, seq: Int, fields reader: FieldReader) throws(ProtocolFailure) {
        let kind: Kind
        switch type {
        case "response_chunk":
            kind = .content(try reader.string("content"))
        case "tool_call":
            let call = ToolCall(
                id: try reader.string("call_id"), name: try reader.string("name"),
                arguments: try reader.string("arguments"))
            kind = .toolCall(call, agent: try reader.optionalString("agent") ?? "")
        case "tool_output":
            kind = .toolOutput(
                ToolOutput(
                    callID: try reader.string("call_id"), toolName: try reader.string("name"),
                    output: try reader.string("output"), isError: reader.fields["is_error"]?.boolValue ?? false,
                    agent: try reader.optionalString("agent") ?? ""))
        case "handoff":
            kind = .handoff(
                from: try reader.string("from"), to: try reader.string("to"),
                reason: try reader.optionalString("reason"))
        case "complete":
            let usage = reader.fields["usage"]
            kind = .complete(
                AgentStreamCompletion(
                    content: try reader.string("content"),
                    agent: try reader.optionalString("agent") ?? "",
                    turns: try reader.optionalInt("turns") ?? 0,
                    usage: Usage(
                        promptTokens: usage?["prompt_tokens"]?.intValue ?? 0,
                        completionTokens: usage?["completion_tokens"]?.intValue ?? 0,
                        totalTokens: usage?["total_tokens"]?.intValue)))
        default:
            kind = .other(type: type, fields: reader.fields)
        }
        self.init(streamID: id, seq: seq, kind: kind)
    }
}

/// What the `complete` frame of an agent stream reports: the run's final answer.
public struct AgentStreamCompletion: Sendable, Hashable {
    /// The whole final answer; the `response_chunk`s of the last turn add up to it.
    public var content: String
    /// The agent that gave the final answer, after any handoffs.
    public var agent: String
    /// How many model turns the run took.
    public var turns: Int
    /// Token usage over the whole run.
    public var usage: Usage

    /// Creates a completion report.
    public init(content: String, agent: String, turns: Int, usage: Usage) {
        self.content = content
        self.agent = agent
        self.turns = turns
        self.usage = usage
    }
}
