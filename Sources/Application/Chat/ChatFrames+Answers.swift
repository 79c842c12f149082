import StreamingDomain

/// The frames of an agent's answer in a room, to every member (docs/PROTOCOL.md, "Answer frames").
extension ChatFrames {
    /// `agent_typing_start`: the agent begins an answer.
    static func agentTypingStart(room: String, agent: String, stream: String) -> OutboundFrame {
        ServerFrame.encode { writer in
            writer.field("type", "agent_typing_start")
            writer.field("room", room)
            writer.field("agent", agent)
            writer.field("stream", stream)
        }
    }

    /// `response_chunk`: the next piece of the answer; `seq` counts the stream's chunks from 1.
    static func responseChunk(room: String, stream: String, seq: Int, agent: String, content: String) -> OutboundFrame {
        ServerFrame.encode(capacity: 96 + content.utf8.count) { writer in
            writer.field("type", "response_chunk")
            writer.field("room", room)
            writer.field("stream", stream)
            writer.field("seq", seq)
            writer.field("agent", agent)
            writer.field("content", content)
        }
    }

    /// `tool_call`: the agent calls a tool.
    static func toolCall(room: String, stream: String, agent: String, call: ToolCall) -> OutboundFrame {
        ServerFrame.encode(capacity: 128 + call.arguments.utf8.count) { writer in
            writer.field("type", "tool_call")
            writer.field("room", room)
            writer.field("stream", stream)
            writer.field("agent", agent)
            writer.field("call_id", call.id)
            writer.field("name", call.name)
            writer.field("arguments", call.arguments)
        }
    }

    /// `tool_output`: a tool's result.
    static func toolOutput(room: String, stream: String, output: ToolOutput) -> OutboundFrame {
        ServerFrame.encode(capacity: 128 + output.output.utf8.count) { writer in
            writer.field("type", "tool_output")
            writer.field("room", room)
            writer.field("stream", stream)
            writer.field("agent", output.agent)
            writer.field("call_id", output.callID)
            writer.field("name", output.toolName)
            writer.field("output", output.output)
            writer.field("is_error", output.isError)
        }
    }

    /// `agent_handoff`: the room's agent changes, by the agent's transfer or a member's request.
    static func agentHandoff(room: String, from: String?, to: String, reason: String?, requestedBy: String?) -> OutboundFrame {
        ServerFrame.encode(capacity: 128) { writer in
            writer.field("type", "agent_handoff")
            writer.field("room", room)
            writer.key("from")
            if let from { writer.string(from) } else { writer.null() }
            writer.field("to", to)
            writer.key("reason")
            if let reason { writer.string(reason) } else { writer.null() }
            if let requestedBy { writer.field("requested_by", requestedBy) }
        }
    }

    /// `agent_typing_stop`: the answer ended; `stopped` when `stop_stream` (or shutdown) cut
    /// it, with `error` when the run failed.
    static func agentTypingStop(room: String, agent: String, stream: String, stopped: Bool, error: ProtocolFailure?)
        -> OutboundFrame
    {
        ServerFrame.encode(capacity: 128) { writer in
            writer.field("type", "agent_typing_stop")
            writer.field("room", room)
            writer.field("agent", agent)
            writer.field("stream", stream)
            writer.field("stopped", stopped)
            if let error {
                writer.key("error")
                writer.beginObject()
                writer.field("code", error.code.rawValue)
                writer.field("message", error.message)
                writer.endObject()
            }
        }
    }

    /// `agent_added`: a specialist joined the room's agents.
    static func agentAdded(room: String, agent: String, current: String?) -> OutboundFrame {
        ServerFrame.encode { writer in
            writer.field("type", "agent_added")
            writer.field("room", room)
            writer.field("agent", agent)
            writeAgent(current, key: "current_agent", to: &writer)
        }
    }
}
