import HTTPTypes
import NIOCore
import NIOHTTP1
import StreamingApplication

/// Decides whether an HTTP request may become a WebSocket connection, before the upgrade.
///
/// Refusals are plain HTTP answers, so a client learns why without speaking WebSocket:
/// 404 for another path, 403 for an origin not allowed, 401 for a refused token, 503 when
/// the hub is full or draining.
struct UpgradeAdmission: Sendable {
    /// Who consumes the connections this endpoint accepts.
    enum Service: Sendable {
        /// The JSON protocol: capacity, tokens and messages are the hub's.
        case hub(ConnectionHub)
        /// Any other consumer, one per connection, made on the connection's event loop.
        case custom(maxMessageSize: Int, makeConsumer: @Sendable () -> any WebSocketConsumer)
    }

    let service: Service
    let options: WebSocketServerOptions

    enum Decision: Sendable {
        case accept(Accepted)
        case refuse(HTTPResponse.Status, String)
    }

    struct Accepted: Sendable {
        var info: ConnectionInfo
        /// What permessage-deflate negotiated, if it did.
        var deflate: PerMessageDeflate.Parameters?
    }

    /// The largest message a connection accepts (and the frame decoder's limit).
    var maxMessageSize: Int {
        switch service {
        case .hub(let hub): hub.options.maxMessageSize
        case .custom(let maxMessageSize, _): maxMessageSize
        }
    }

    /// The consumer of one accepted connection.
    func makeConsumer(for accepted: Accepted) -> any WebSocketConsumer {
        switch service {
        case .hub(let hub): HubWebSocketConsumer(hub: hub, info: accepted.info)
        case .custom(_, let makeConsumer): makeConsumer()
        }
    }

    func decide(_ head: HTTPRequestHead, peer: SocketAddress?) -> Decision {
        let (path, query) = Self.split(head.uri)
        guard path == options.path else { return .refuse(.notFound, "no WebSocket endpoint at \(path)") }
        if !options.allowedOrigins.isEmpty, let origin = head.headers.first(name: "Origin"),
            !options.allowedOrigins.contains(origin)
        {
            return .refuse(.forbidden, "origin \(origin) is not allowed")
        }
        var identity: String?
        if case .hub(let hub) = service {
            guard hub.hasRoomForConnection() else {
                let reason = hub.isDraining ? "the server is shutting down; connect again" : "the server is at its connection limit"
                return .refuse(.serviceUnavailable, reason)
            }
            if let token = Self.token(headers: head.headers, query: query) {
                guard let verified = hub.identity(forToken: token) else {
                    return .refuse(.unauthorized, "the token was refused")
                }
                identity = verified
            }
        }
        var metadata: [String: String] = ["path": head.uri]
        if let agent = head.headers.first(name: "User-Agent") { metadata["user_agent"] = agent }
        let deflate = options.enableCompression
            ? PerMessageDeflate.negotiate(offers: head.headers[canonicalForm: "Sec-WebSocket-Extensions"].map(String.init))
            : nil
        return .accept(
            Accepted(
                info: ConnectionInfo(remoteAddress: clientAddress(head, peer: peer), identity: identity, metadata: metadata),
                deflate: deflate
            )
        )
    }

    /// The client's address: the peer's, or the one its trusted proxies forwarded.
    func clientAddress(_ head: HTTPRequestHead, peer: SocketAddress?) -> String? {
        guard let peer else { return nil }
        let client = options.trustedProxies.clientAddress(
            peer: IPAddress(peer), forwarded: head.headers["Forwarded"], forwardedFor: head.headers["X-Forwarded-For"])
        return client?.description ?? peer.description
    }

    /// The token from `Authorization: Bearer T`, or else from the `token` query parameter
    /// (browsers cannot set headers on a WebSocket).
    static func token(headers: HTTPHeaders, query: Substring?) -> String? {
        if let authorization = headers.first(name: "Authorization"), authorization.lowercased().hasPrefix("bearer ") {
            return String(authorization.dropFirst(7))
        }
        guard let query else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == "token" { return percentDecoded(parts[1]) }
        }
        return nil
    }

    static func split(_ uri: String) -> (path: Substring, query: Substring?) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri[...], nil) }
        return (uri[..<mark], uri[uri.index(after: mark)...])
    }

    static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
