/// Limits of the agent-stream service: how much it runs at once and how much it keeps for replay.
public struct AgentStreamOptions: Sendable, Hashable {
    /// The most frames kept per stream for `resume`; older ones are forgotten first.
    public var maxReplayFrames: Int
    /// How long a finished stream stays resumable.
    public var retention: Duration
    /// The most finished streams kept; the oldest is forgotten first.
    public var maxRetainedStreams: Int
    /// The most streams running at once across the server; more are refused with `server_busy`.
    public var maxActiveStreams: Int

    public init(
        maxReplayFrames: Int = 10_000,
        retention: Duration = .seconds(300),
        maxRetainedStreams: Int = 1_000,
        maxActiveStreams: Int = 1_000
    ) {
        self.maxReplayFrames = maxReplayFrames
        self.retention = retention
        self.maxRetainedStreams = maxRetainedStreams
        self.maxActiveStreams = maxActiveStreams
    }
}
