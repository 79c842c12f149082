/// An event of a run in the shape of the Ruby gem's block API: `chunk.type` and `chunk.content`.
///
/// ```swift
/// try await runner.run(agent, "Tell me about streaming") { chunk in
///     if chunk.type == .content { print(chunk.content ?? "", terminator: "") }
/// }
/// ```
public struct Chunk: Sendable, Equatable {
    public enum ChunkType: String, Sendable, Hashable {
        case content
        case toolCall = "tool_call"
        case toolOutput = "tool_output"
        case handoff
        case complete
    }

    /// The event this chunk presents.
    public let event: StreamEvent

    public init(_ event: StreamEvent) {
        self.event = event
    }

    public var type: ChunkType {
        switch event.kind {
        case .content: .content
        case .toolCall: .toolCall
        case .toolOutput: .toolOutput
        case .handoff: .handoff
        case .complete: .complete
        }
    }

    /// The per-run sequence number of the event.
    public var seq: Int { event.seq }

    /// The text this chunk carries: answer text for `content`, the tool's result for
    /// `toolOutput`, the final answer for `complete`; `nil` otherwise.
    public var content: String? {
        switch event.kind {
        case .content(let text): text
        case .toolOutput(let output): output.output
        case .complete(let result): result.finalOutput
        case .toolCall, .handoff: nil
        }
    }

    public var toolCall: ToolCall? {
        if case .toolCall(let call, _) = event.kind { return call }
        return nil
    }

    public var toolOutput: ToolOutput? {
        if case .toolOutput(let output) = event.kind { return output }
        return nil
    }

    public var handoff: Handoff? {
        if case .handoff(let handoff) = event.kind { return handoff }
        return nil
    }

    public var result: RunResult? {
        if case .complete(let result) = event.kind { return result }
        return nil
    }
}
