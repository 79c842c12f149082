import StreamingDomain

extension Array where Element == ChatMessage {
    /// The most recent messages, at most `limit` of them, cut so that no tool result
    /// loses the assistant message that called it.
    ///
    /// The cut falls `limit` messages from the end, then moves forward past any tool
    /// results, so the first kept message is never a `.tool` message: a turn's tool
    /// calls and their results are kept together or dropped together. That may keep
    /// fewer than `limit` messages, never more. A conversation of at most `limit`
    /// messages comes back unchanged; a limit of zero or less keeps nothing.
    ///
    /// ```swift
    /// // [user, assistant(calls c1 c2), tool c1, tool c2, assistant] with a limit of 3:
    /// // the last 3 start at "tool c2", so the cut moves on to the final assistant message.
    /// history.trimmed(toLast: 3)   // [assistant]
    /// ```
    public func trimmed(toLast limit: Int) -> [ChatMessage] {
        guard count > limit else { return self }
        guard limit > 0 else { return [] }
        var start = count - limit
        while start < count, case .tool = self[start] {
            start += 1
        }
        return Array(self[start...])
    }
}
