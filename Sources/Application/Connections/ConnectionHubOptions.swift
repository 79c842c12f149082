/// Limits and timings of a ``ConnectionHub``.
public struct ConnectionHubOptions: Sendable, Hashable {
    /// The most connections at once; the next is refused: HTTP 503 at the WebSocket upgrade,
    /// or `server_busy` and close 1013 when it raced past that check.
    public var maxConnections: Int
    /// The largest message accepted, in bytes; a larger one is `too_large` and closes with 1009.
    public var maxMessageSize: Int
    /// Messages each connection may send per minute (a token bucket holding this many).
    public var messagesPerMinute: Int
    /// How often idle connections are pinged; one silent for two intervals is closed.
    public var heartbeatInterval: Duration
    /// The most channels one connection may subscribe to.
    public var maxChannelsPerConnection: Int
    /// The most agent streams one connection may run at once.
    public var maxStreamsPerConnection: Int

    public init(
        maxConnections: Int = 5000,
        maxMessageSize: Int = 1 << 20,
        messagesPerMinute: Int = 600,
        heartbeatInterval: Duration = .seconds(30),
        maxChannelsPerConnection: Int = 256,
        maxStreamsPerConnection: Int = 16
    ) {
        self.maxConnections = maxConnections
        self.maxMessageSize = maxMessageSize
        self.messagesPerMinute = messagesPerMinute
        self.heartbeatInterval = heartbeatInterval
        self.maxChannelsPerConnection = maxChannelsPerConnection
        self.maxStreamsPerConnection = maxStreamsPerConnection
    }
}

/// Figures of a ``ConnectionHub`` for `/stats` and `/metrics`.
public struct ConnectionHubStats: Sendable, Hashable {
    /// Connections open now.
    public var connections: Int
    /// Channels with at least one subscriber.
    public var channels: Int
    /// Channel subscriptions over all connections.
    public var subscriptions: Int
    /// Agent streams running now.
    public var activeStreams: Int
    /// Finished agent streams still kept for resume.
    public var retainedStreams: Int
    /// Messages received from clients.
    public var framesIn: Int
    /// Frames handed to transports.
    public var framesOut: Int
    /// Frames dropped because a client's outbound buffer was full.
    public var dropped: Int
    /// Connections accepted since start.
    public var accepted: Int
    /// Connections refused since start for capacity or shutdown, at the upgrade or after it.
    public var refused: Int
    /// The cluster's figures as this node sees them; `nil` for a single node.
    public var cluster: BroadcasterStats? = nil
}
