/// The per-stream bookkeeping that makes delivery exactly-once and gap-free.
///
/// Frames of an agent stream carry `seq` 1, 2, 3...; after a reconnect or a `resume`, the
/// server replays from the `after_seq` the client asks for, so the same frame may arrive
/// twice, and frames the server dropped for a slow reader leave a hole. The sequencer
/// delivers only the next expected number, drops what was already delivered, and reports
/// a hole so the client can ask for a replay.
struct StreamSequencer: Sendable, Hashable {
    /// The `seq` of the last frame delivered (0 before the first).
    private(set) var lastDelivered = 0

    enum Verdict: Sendable, Hashable {
        /// The next frame in order: deliver it.
        case deliver
        /// Already delivered: drop it.
        case duplicate
        /// Frames between the last delivered and this one are missing: drop it and resume.
        case gap
    }

    /// Judges the frame numbered `seq`, and counts it as delivered when it is next.
    mutating func accept(_ seq: Int) -> Verdict {
        if seq <= lastDelivered { return .duplicate }
        if seq > lastDelivered + 1 { return .gap }
        lastDelivered = seq
        return .deliver
    }
}
