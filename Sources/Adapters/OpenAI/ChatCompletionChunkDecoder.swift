import StreamingApplication
import StreamingDomain

/// Turns the data of one `chat.completion.chunk` event into model deltas.
///
/// It reads `choices[0].delta.content`, `.refusal` and `.tool_calls[]` (id and name in a
/// call's first fragment, arguments in any), `choices[0].finish_reason`, the final `usage`
/// chunk (whose `choices` is empty) and an `error` object some servers send mid-stream.
/// Every other field is skipped without being decoded.
public struct ChatCompletionChunkDecoder: Sendable {
    /// What a data line meant.
    public enum Outcome: Sendable, Equatable {
        /// Deltas (possibly none) were appended.
        case deltas
        /// The `[DONE]` sentinel: the stream is over.
        case done
    }

    public init() {}

    /// Decodes one event's data, appending its deltas to `deltas`.
    ///
    /// - Throws: ``StreamingError/protocol(_:)`` naming the line when it is not a chunk
    ///   object; ``StreamingError/provider(status:message:)`` for an `error` object.
    public func decode(_ data: UnsafeRawBufferPointer, into deltas: inout [ModelDelta]) throws -> Outcome {
        if data.equals("[DONE]") { return .done }
        do {
            var scanner = JSONScanner(data)
            try decodeChunk(&scanner, into: &deltas)
            guard scanner.isAtEnd else { throw JSONScanner.Failure(offset: scanner.index, reason: "text after the object") }
            return .deltas
        } catch let failure as JSONScanner.Failure {
            throw StreamingError.protocol(
                "unparseable data line (\(failure.reason) at byte \(failure.offset)): \(Self.excerpt(data))"
            )
        }
    }

    /// Decodes one event's data given as text.
    public func decode(_ data: String, into deltas: inout [ModelDelta]) throws -> Outcome {
        var data = data
        return try data.withUTF8 { try decode(UnsafeRawBufferPointer($0), into: &deltas) }
    }

    private func decodeChunk(_ scanner: inout JSONScanner, into deltas: inout [ModelDelta]) throws {
        var usage: Usage?
        var errorMessage: String?
        try scanner.readObject { scanner, key in
            if key.equals("choices") {
                if scanner.consumeNull() { return }
                try scanner.readArray { scanner in try decodeChoice(&scanner, into: &deltas) }
            } else if key.equals("usage") {
                usage = try decodeUsage(&scanner)
            } else if key.equals("error") {
                errorMessage = try decodeError(&scanner)
            } else {
                try scanner.skipValue()
            }
        }
        if let errorMessage {
            throw StreamingError.provider(status: 200, message: errorMessage)
        }
        if let usage { deltas.append(.usage(usage)) }
    }

    private func decodeChoice(_ scanner: inout JSONScanner, into deltas: inout [ModelDelta]) throws {
        var index = 0
        var finish: FinishReason?
        let firstDelta = deltas.count
        try scanner.readObject { scanner, key in
            if key.equals("delta") {
                if scanner.consumeNull() { return }
                try decodeDelta(&scanner, into: &deltas)
            } else if key.equals("finish_reason") {
                finish = try scanner.readString().map(Self.finishReason)
            } else if key.equals("index") {
                index = try scanner.readInt() ?? 0
            } else {
                try scanner.skipValue()
            }
        }
        // Only the first choice is the answer (the runner never asks for n > 1).
        guard index == 0 else {
            deltas.removeSubrange(firstDelta...)
            return
        }
        if let finish { deltas.append(.finish(finish)) }
    }

    private func decodeDelta(_ scanner: inout JSONScanner, into deltas: inout [ModelDelta]) throws {
        try scanner.readObject { scanner, key in
            if key.equals("content") {
                if let text = try scanner.readString(), !text.isEmpty { deltas.append(.text(text)) }
            } else if key.equals("tool_calls") {
                if scanner.consumeNull() { return }
                try scanner.readArray { scanner in try decodeToolCall(&scanner, into: &deltas) }
            } else if key.equals("refusal") {
                if let text = try scanner.readString(), !text.isEmpty { deltas.append(.refusal(text)) }
            } else {
                try scanner.skipValue()
            }
        }
    }

    private func decodeToolCall(_ scanner: inout JSONScanner, into deltas: inout [ModelDelta]) throws {
        var index = 0
        var id: String?
        var name: String?
        var arguments: String?
        try scanner.readObject { scanner, key in
            if key.equals("index") {
                index = try scanner.readInt() ?? 0
            } else if key.equals("id") {
                id = try scanner.readString()
            } else if key.equals("function") {
                if scanner.consumeNull() { return }
                try scanner.readObject { scanner, key in
                    if key.equals("name") {
                        name = try scanner.readString()
                    } else if key.equals("arguments") {
                        arguments = try scanner.readString()
                    } else {
                        try scanner.skipValue()
                    }
                }
            } else {
                try scanner.skipValue()
            }
        }
        if id?.isEmpty == false || name?.isEmpty == false {
            deltas.append(.toolCallStart(index: index, id: id ?? "", name: name ?? ""))
        }
        if let arguments, !arguments.isEmpty {
            deltas.append(.toolCallArguments(index: index, fragment: arguments))
        }
    }

    private func decodeUsage(_ scanner: inout JSONScanner) throws -> Usage? {
        if scanner.consumeNull() { return nil }
        var prompt = 0
        var completion = 0
        var total: Int?
        try scanner.readObject { scanner, key in
            if key.equals("prompt_tokens") {
                prompt = try scanner.readInt() ?? 0
            } else if key.equals("completion_tokens") {
                completion = try scanner.readInt() ?? 0
            } else if key.equals("total_tokens") {
                total = try scanner.readInt()
            } else {
                try scanner.skipValue()
            }
        }
        return Usage(promptTokens: prompt, completionTokens: completion, totalTokens: total)
    }

    private func decodeError(_ scanner: inout JSONScanner) throws -> String? {
        if scanner.consumeNull() { return nil }
        if scanner.nextIsString() { return try scanner.readString() }
        var message = "error without a message"
        try scanner.readObject { scanner, key in
            if key.equals("message") {
                message = try scanner.readString() ?? message
            } else {
                try scanner.skipValue()
            }
        }
        return message
    }

    static func finishReason(_ text: String) -> FinishReason {
        switch text {
        case "tool_calls", "function_call": .toolCalls
        case "length": .length
        case "content_filter": .contentFilter
        default: .stop
        }
    }

    /// The start of a line for an error message: enough to recognise it, never a whole payload.
    static func excerpt(_ data: UnsafeRawBufferPointer, limit: Int = 200) -> String {
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: data.prefix(limit)), as: UTF8.self)
        return data.count > limit ? text + "…" : text
    }
}
