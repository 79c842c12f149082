/// Settings of the WebSocket endpoint that belong to the transport rather than the protocol.
///
/// Protocol limits (message size, rate, heartbeat) are ``ConnectionHubOptions``; these
/// decide how connections are accepted and how bytes move.
public struct WebSocketServerOptions: Sendable, Hashable {
    /// The path the WebSocket upgrade is served on.
    public var path: String
    /// The most bytes queued for one client before frames to it are dropped (and counted).
    ///
    /// Bytes waiting in the outbox and in the channel both count, so a client that does not
    /// read holds at most about this much server memory.
    public var bufferSize: Int
    /// Whether permessage-deflate (RFC 7692) is offered to clients that ask for it.
    public var enableCompression: Bool
    /// The largest message accepted after decompression, in bytes.
    ///
    /// permessage-deflate's usual default is 16 KiB, which breaks larger messages with 1011
    /// (PITFALLS.md); this follows the hub's message size limit instead.
    public var maxDecompressedMessageSize: Int
    /// Browser origins allowed to connect; empty allows every origin. A request without an
    /// `Origin` header (not a browser) is always allowed.
    public var allowedOrigins: Set<String>
    /// How long a closing handshake may take before the connection is dropped.
    public var closeTimeout: Duration
    /// The reverse proxies whose `Forwarded` / `X-Forwarded-For` headers name the client
    /// (``ConnectionInfo/remoteAddress``); empty: the peer is the client.
    public var trustedProxies: TrustedProxies

    public init(
        path: String = "/ws",
        bufferSize: Int = 256 * 1024,
        enableCompression: Bool = true,
        maxDecompressedMessageSize: Int = 1 << 20,
        allowedOrigins: Set<String> = [],
        closeTimeout: Duration = .seconds(5),
        trustedProxies: TrustedProxies = TrustedProxies()
    ) {
        self.trustedProxies = trustedProxies
        self.path = path
        self.bufferSize = bufferSize
        self.enableCompression = enableCompression
        self.maxDecompressedMessageSize = maxDecompressedMessageSize
        self.allowedOrigins = allowedOrigins
        self.closeTimeout = closeTimeout
    }
}
