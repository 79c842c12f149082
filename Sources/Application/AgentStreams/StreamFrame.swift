/// One encoded frame of an agent stream, as it is kept for replay.
public struct StreamFrame: Sendable {
    /// The frame's sequence number: 1, 2, 3... with no gaps.
    public let seq: Int
    /// The frame's `type`: `response_chunk`, `tool_call`, `tool_output`, `handoff`, `complete` or `error`.
    public let type: String
    /// The JSON text, carrying `id` and `seq`.
    public let frame: OutboundFrame

    public init(seq: Int, type: String, frame: OutboundFrame) {
        self.seq = seq
        self.type = type
        self.frame = frame
    }

    /// Whether this frame ends its stream (`complete` or `error`).
    public var isFinal: Bool { type == "complete" || type == "error" }
}
