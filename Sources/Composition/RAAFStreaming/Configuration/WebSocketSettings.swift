/// Settings of the WebSocket server (`config.websocket` in the Ruby gem).
public struct WebSocketSettings: Sendable, Equatable {
    /// The TCP port the server listens on; `WEBSOCKET_PORT`, setting `websocket.port`. Default 8080.
    public var port: Int
    /// The address the server binds to; `WEBSOCKET_HOST`, setting `websocket.host`. Default `"0.0.0.0"`.
    public var host: String
    /// The most connections served at once; `WEBSOCKET_MAX_CONNECTIONS`, setting
    /// `websocket.max_connections`. Default 5000.
    public var maxConnections: Int
    /// How often the server pings an idle connection; setting `websocket.heartbeat_interval`. Default 30 s.
    public var heartbeatInterval: Duration
    /// Whether permessage-deflate is offered; setting `websocket.enable_compression`. Default `true`.
    public var enableCompression: Bool

    /// Creates WebSocket settings; every parameter defaults to the gem's default.
    public init(
        port: Int = 8080,
        host: String = "0.0.0.0",
        maxConnections: Int = 5000,
        heartbeatInterval: Duration = .seconds(30),
        enableCompression: Bool = true
    ) {
        self.port = port
        self.host = host
        self.maxConnections = maxConnections
        self.heartbeatInterval = heartbeatInterval
        self.enableCompression = enableCompression
    }
}
