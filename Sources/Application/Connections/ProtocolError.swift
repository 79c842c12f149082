/// A stable error code of the wire protocol, carried by `{"type":"error","code":...}` frames.
///
/// Clients branch on these strings, so they never change once published (docs/PROTOCOL.md).
public struct ProtocolErrorCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// Not JSON, not an object, a missing field or a field of the wrong type.
    public static let invalidMessage = ProtocolErrorCode(rawValue: "invalid_message")
    /// A `type` the server does not handle.
    public static let unknownType = ProtocolErrorCode(rawValue: "unknown_type")
    /// A message over the size limit.
    public static let tooLarge = ProtocolErrorCode(rawValue: "too_large")
    /// More messages than the per-connection rate allows; the message was not processed.
    public static let rateLimited = ProtocolErrorCode(rawValue: "rate_limited")
    /// Authentication is required, or the token was refused.
    public static let unauthorized = ProtocolErrorCode(rawValue: "unauthorized")
    /// The identity may not do this (another identity's stream, for example).
    public static let forbidden = ProtocolErrorCode(rawValue: "forbidden")
    /// No such agent, stream or channel subscription.
    public static let notFound = ProtocolErrorCode(rawValue: "not_found")
    /// A server limit is reached (connections, streams per connection, channels); try later.
    public static let serverBusy = ProtocolErrorCode(rawValue: "server_busy")
    /// The agent stream was cancelled.
    public static let cancelled = ProtocolErrorCode(rawValue: "cancelled")
    /// The server is draining before it stops (a deploy): a new stream or answer is refused,
    /// and one still running when the shutdown grace runs out ends with this code. Reconnect
    /// (to another node) and start it again.
    public static let shuttingDown = ProtocolErrorCode(rawValue: "shutting_down")
    /// The server failed unexpectedly.
    public static let internalError = ProtocolErrorCode(rawValue: "internal_error")

    // A cluster of nodes (`REDIS_URL`).

    /// The node running the agent stream stopped (it crashed, or was paused past its lease):
    /// the stream's final frame. A `resume` replays what was logged, then this frame.
    public static let nodeLost = ProtocolErrorCode(rawValue: "node_lost")
    /// The cluster's shared store (Redis) stayed unreachable: a stream could not be logged
    /// within its buffer, or a stream of another node cannot be read, or frames a `resume`
    /// needs were lost with the store. Nothing is replayed with a gap.
    public static let clusterUnavailable = ProtocolErrorCode(rawValue: "cluster_unavailable")

    // Chat rooms (`ChatService`).

    /// The room has `max_participants` members already.
    public static let roomFull = ProtocolErrorCode(rawValue: "room_full")
    /// `create_room` names a room that exists.
    public static let roomExists = ProtocolErrorCode(rawValue: "room_exists")
    /// `create_room` when the server holds `max_rooms` rooms.
    public static let roomLimit = ProtocolErrorCode(rawValue: "room_limit")

    // Connection-level failures: reported to ``ConnectionHub/onError(_:)`` with the close
    // code; the connection is over, so no `error` frame carries them.

    /// The client broke the WebSocket framing (close 1002).
    public static let protocolError = ProtocolErrorCode(rawValue: "protocol_error")
    /// The client answered none of the last two pings (close 1002).
    public static let heartbeatTimeout = ProtocolErrorCode(rawValue: "heartbeat_timeout")
    /// The peer is gone without a closing handshake: a read or write failed, the socket was
    /// reset, or the peer closed its TCP connection without a close frame (RFC 6455's 1006).
    public static let connectionLost = ProtocolErrorCode(rawValue: "connection_lost")

    public var description: String { rawValue }
}

/// A request the hub refuses: the code and text of the `error` frame it answers with.
public struct ProtocolFailure: Error, Sendable, Hashable {
    public var code: ProtocolErrorCode
    public var message: String
    /// The agent stream the failure belongs to, when there is one.
    public var streamID: String?
    /// The close code the connection was closed with because of this failure; `nil` when
    /// the connection stays open (or ended without a close frame, ``ProtocolErrorCode/connectionLost``).
    public var closeCode: CloseCode?

    public init(_ code: ProtocolErrorCode, _ message: String, streamID: String? = nil, closeCode: CloseCode? = nil) {
        self.code = code
        self.message = message
        self.streamID = streamID
        self.closeCode = closeCode
    }
}

/// A breach of the WebSocket protocol itself, which ends the connection.
///
/// The transport detects these (framing, UTF-8, size) and reports them to
/// ``ConnectionHub/fail(_:_:)``, which sends the matching `error` frame, when one applies,
/// and closes with the matching RFC 6455 code.
public enum ProtocolViolation: Sendable, Hashable {
    /// A message larger than `limit` bytes: `too_large`, then close 1009.
    case messageTooLarge(limit: Int)
    /// A text message that is not UTF-8: close 1007.
    case invalidUTF8
    /// A binary message: `invalid_message`, then close 1003.
    case binaryMessage
    /// Broken framing (unmasked client frame, bad opcode, fragmented control frame): close 1002.
    case framing(String)
}

extension ProtocolViolation {
    /// The close code a connection that broke the protocol this way ends with.
    public var closeCode: CloseCode {
        switch self {
        case .messageTooLarge: .messageTooBig
        case .invalidUTF8: .invalidPayload
        case .binaryMessage: .unsupportedData
        case .framing: .protocolError
        }
    }

    /// The short reason sent in the close frame.
    public var closeReason: String {
        switch self {
        case .messageTooLarge: "message too large"
        case .invalidUTF8: "invalid UTF-8"
        case .binaryMessage: "binary messages not supported"
        case .framing: "protocol error"
        }
    }
}
