import StreamingDomain

/// The state of a ``StreamingSession`` at one moment, to go back to with
/// ``StreamingSession/restore(_:)``.
///
/// A checkpoint is a plain value: it does not change when the session goes on, and it
/// may be restored into the session it came from, any number of times, or into another
/// session (a fork, for example).
public struct SessionCheckpoint: Sendable, Equatable {
    /// The conversation as it was: user, assistant and tool messages.
    public let history: [ChatMessage]
    /// The agent that was to answer the next message.
    public let agent: Agent
    /// How many turns the session had completed.
    public let turnCount: Int

    public init(history: [ChatMessage], agent: Agent, turnCount: Int) {
        self.history = history
        self.agent = agent
        self.turnCount = turnCount
    }
}
