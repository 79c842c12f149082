import StreamingDomain

/// Writes the JSON body of a streaming `POST /chat/completions` request.
enum ChatCompletionRequestEncoder {
    /// The body for `request`: messages, tools and tool results as the Chat Completions
    /// protocol defines them, `stream: true` with usage, and only the settings the caller set.
    static func body(for request: ModelRequest) -> String {
        var writer = JSONWriter(capacity: 512)
        writer.beginObject()
        writer.field("model", request.model)
        writer.key("messages")
        writer.beginArray()
        for message in request.messages { write(message, to: &writer) }
        writer.endArray()
        if !request.tools.isEmpty {
            writer.key("tools")
            writer.beginArray()
            for tool in request.tools {
                writer.beginObject()
                writer.field("type", "function")
                writer.key("function")
                writer.beginObject()
                writer.field("name", tool.name)
                writer.field("description", tool.description)
                writer.key("parameters")
                writer.value(tool.parameters)
                writer.endObject()
                writer.endObject()
            }
            writer.endArray()
        }
        let settings = request.settings
        if let temperature = settings.temperature {
            writer.key("temperature")
            writer.double(temperature)
        }
        if let maxTokens = settings.maxTokens {
            writer.field("max_tokens", maxTokens)
        }
        if let topP = settings.topP {
            writer.key("top_p")
            writer.double(topP)
        }
        writer.field("stream", true)
        writer.key("stream_options")
        writer.beginObject()
        writer.field("include_usage", true)
        writer.endObject()
        writer.endObject()
        return writer.output
    }

    private static func write(_ message: ChatMessage, to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("role", message.role)
        switch message {
        case .system(let text), .user(let text):
            writer.field("content", text)
        case .assistant(let text, let calls):
            writer.key("content")
            // An assistant turn that only calls tools has no content, not empty content.
            if text.isEmpty && !calls.isEmpty { writer.null() } else { writer.string(text) }
            if !calls.isEmpty {
                writer.key("tool_calls")
                writer.beginArray()
                for call in calls {
                    writer.beginObject()
                    writer.field("id", call.id)
                    writer.field("type", "function")
                    writer.key("function")
                    writer.beginObject()
                    writer.field("name", call.name)
                    writer.field("arguments", call.arguments.isEmpty ? "{}" : call.arguments)
                    writer.endObject()
                    writer.endObject()
                }
                writer.endArray()
            }
        case .tool(let id, let content):
            writer.field("tool_call_id", id)
            writer.field("content", content)
        }
        writer.endObject()
    }
}
