/// Settings of the WebSocket server (`config.websocket` in the Ruby gem).
///
/// Its description never shows an authentication token: `authTokens: [[redacted]: "alice"]`.
public struct WebSocketSettings: Sendable, Equatable {
    /// The TCP port the server listens on; `WEBSOCKET_PORT`, setting `websocket.port`. Default 8080.
    public var port: Int
    /// The address the server binds to; `WEBSOCKET_HOST`, setting `websocket.host`. Default `"0.0.0.0"`.
    public var host: String
    /// The most connections served at once; `WEBSOCKET_MAX_CONNECTIONS`, setting
    /// `websocket.max_connections`. Default 5000.
    public var maxConnections: Int
    /// How often the server pings each connection; a connection silent for two intervals is
    /// closed at the third. `WEBSOCKET_HEARTBEAT_INTERVAL` (seconds), setting
    /// `websocket.heartbeat_interval`. Default 30 s.
    public var heartbeatInterval: Duration
    /// Whether permessage-deflate is offered; setting `websocket.enable_compression`. Default `true`.
    public var enableCompression: Bool
    /// The HTTP path WebSocket clients upgrade on; `WEBSOCKET_PATH`, setting `websocket.path`.
    /// It must start with `/`. Default `"/ws"`.
    public var path: String
    /// The largest message a client may send, in bytes; a larger one closes the connection
    /// with 1009. `WEBSOCKET_MAX_MESSAGE_SIZE`, setting `websocket.max_message_size`. Default 1 MiB.
    public var maxMessageSize: Int
    /// Messages each connection may send per minute; `WEBSOCKET_RATE_LIMIT`, setting
    /// `websocket.messages_per_minute`. Default 600.
    public var messagesPerMinute: Int
    /// Outbound bytes buffered per connection before frames to a slow reader are dropped;
    /// `WEBSOCKET_BUFFER_SIZE`, setting `websocket.buffer_size`. Default 256 KiB.
    public var bufferSize: Int
    /// The `Origin`s a browser may connect from, such as `https://app.example.com`; empty
    /// allows any. `WEBSOCKET_ALLOWED_ORIGINS` (comma-separated), setting `websocket.allowed_origins`.
    public var allowedOrigins: [String]
    /// The tokens clients may authenticate with, each naming the identity it stands for;
    /// empty turns authentication off. `WEBSOCKET_AUTH_TOKENS` (`token=identity,token2=identity2`),
    /// setting `websocket.auth_tokens`. Default empty. The tokens are secrets: never described or logged.
    public var authTokens: [String: String]

    /// Creates WebSocket settings; every parameter defaults to the gem's default.
    public init(
        port: Int = 8080,
        host: String = "0.0.0.0",
        maxConnections: Int = 5000,
        heartbeatInterval: Duration = .seconds(30),
        enableCompression: Bool = true,
        path: String = "/ws",
        maxMessageSize: Int = 1 << 20,
        messagesPerMinute: Int = 600,
        bufferSize: Int = 256 << 10,
        allowedOrigins: [String] = [],
        authTokens: [String: String] = [:]
    ) {
        self.port = port
        self.host = host
        self.maxConnections = maxConnections
        self.heartbeatInterval = heartbeatInterval
        self.enableCompression = enableCompression
        self.path = path
        self.maxMessageSize = maxMessageSize
        self.messagesPerMinute = messagesPerMinute
        self.bufferSize = bufferSize
        self.allowedOrigins = allowedOrigins
        self.authTokens = authTokens
    }

    /// Whether clients must authenticate: at least one token is configured.
    public var requiresAuthentication: Bool { !authTokens.isEmpty }
}

extension WebSocketSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The settings with every token shown as `[redacted]`; the identities stay visible.
    public var description: String {
        "WebSocketSettings(port: \(port), host: \"\(host)\", maxConnections: \(maxConnections), "
            + "heartbeatInterval: \(heartbeatInterval), enableCompression: \(enableCompression), "
            + "path: \"\(path)\", maxMessageSize: \(maxMessageSize), messagesPerMinute: \(messagesPerMinute), "
            + "bufferSize: \(bufferSize), allowedOrigins: \(allowedOrigins), authTokens: \(maskedTokens))"
    }

    /// The same text as ``description``: the tokens are redacted here too.
    public var debugDescription: String { description }

    /// A mirror whose `authTokens` child hides the tokens, so `dump` does not print them.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "port": port,
                "host": host,
                "maxConnections": maxConnections,
                "heartbeatInterval": heartbeatInterval,
                "enableCompression": enableCompression,
                "path": path,
                "maxMessageSize": maxMessageSize,
                "messagesPerMinute": messagesPerMinute,
                "bufferSize": bufferSize,
                "allowedOrigins": allowedOrigins,
                "authTokens": maskedTokens,
            ],
            displayStyle: .struct
        )
    }

    /// `[[redacted]: "alice", [redacted]: "bob"]`, identities sorted; `[:]` when there are none.
    private var maskedTokens: String {
        guard !authTokens.isEmpty else { return "[:]" }
        let entries = authTokens.values.sorted().map { "\(URLCredentials.mask): \"\($0)\"" }
        return "[" + entries.joined(separator: ", ") + "]"
    }
}
