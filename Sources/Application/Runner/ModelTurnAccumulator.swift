import StreamingDomain

/// Adds up the deltas of one model turn: the answer text, the tool calls assembled from
/// their fragments, the finish reason and the usage.
///
/// The runner uses it for every turn; a provider's tests can use it to check that a
/// transcript assembles into the expected answer.
public struct ModelTurnAccumulator: Sendable {
    /// The answer text so far (refusal text included).
    public private(set) var text = ""
    public private(set) var finishReason: FinishReason?
    public private(set) var usage = Usage.zero
    private var calls: [Int: ToolCall] = [:]

    public init() {}

    /// Whether the turn has asked for any tool call so far.
    public var hasToolCalls: Bool { !calls.isEmpty }

    /// Adds one delta.
    ///
    /// - Throws: ``StreamingError/protocol(_:)`` for arguments of a tool call whose start
    ///   never came.
    public mutating func add(_ delta: ModelDelta) throws {
        switch delta {
        case .text(let piece), .refusal(let piece):
            text += piece
        case .toolCallStart(let index, let id, let name):
            if var existing = calls[index] {
                // Some servers repeat the id or name in later fragments; keep the first non-empty ones.
                if existing.id.isEmpty { existing.id = id }
                if existing.name.isEmpty { existing.name = name }
                calls[index] = existing
            } else {
                calls[index] = ToolCall(id: id, name: name, arguments: "")
            }
        case .toolCallArguments(let index, let fragment):
            guard calls[index] != nil else {
                throw StreamingError.protocol("arguments for tool call \(index) arrived before the call's start")
            }
            calls[index]!.arguments += fragment
        case .finish(let reason):
            finishReason = reason
        case .usage(let turnUsage):
            usage += turnUsage
        }
    }

    /// The assembled tool calls in index order. A call without an id gets
    /// `call_<turn>_<index>`, so every result can answer its call.
    public func toolCalls(turn: Int = 1) -> [ToolCall] {
        calls.keys.sorted().map { index in
            var call = calls[index]!
            if call.id.isEmpty { call.id = "call_\(turn)_\(index)" }
            return call
        }
    }
}
