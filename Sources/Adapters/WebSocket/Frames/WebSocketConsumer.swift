import NIOCore
import StreamingApplication

/// One whole message as a WebSocket connection delivers it: reassembled from its fragments,
/// inflated when it was compressed, and, for text, checked to be UTF-8.
public enum WebSocketMessage: Sendable, Hashable {
    case text(ByteBuffer)
    case binary(ByteBuffer)
}

/// What one WebSocket connection delivers, and to whom.
///
/// The frame layer (``WebSocketConnection``, SwiftNIO handlers) speaks RFC 6455 and RFC 7692:
/// framing, masking, fragmentation, control frames, UTF-8 checks, the closing handshake and
/// permessage-deflate. A consumer gets whole messages and decides what they mean.
/// ``ConnectionHub`` is one consumer (the JSON protocol; it refuses binary messages); the
/// `EchoServer` example, which the Autobahn conformance suite runs against, is another.
///
/// Every method is called on the connection's event loop, one at a time; none may block.
public protocol WebSocketConsumer: AnyObject {
    /// The handshake is done and `connection` takes frames. Return `false` to refuse the
    /// connection (over capacity): the frame layer closes it with 1013.
    func opened(_ connection: WebSocketConnection) -> Bool

    /// A whole message arrived. A thrown error is a failure of the server's own handling:
    /// the connection is closed with 1011 (``CloseCode/internalError``).
    func received(_ message: WebSocketMessage, on connection: WebSocketConnection) throws

    /// The peer broke the protocol or a limit. The consumer ends the connection with
    /// `violation`'s close code (``WebSocketConnection/close(_:reason:)``), and may say why first.
    func violated(_ violation: ProtocolViolation, on connection: WebSocketConnection)

    /// A ping or a pong arrived: the peer is alive.
    func heard()

    /// The socket takes bytes again after it was full.
    func writable()

    /// The server is shutting down gracefully.
    func quiesce(_ connection: WebSocketConnection)

    /// The peer is gone without a closing handshake: a read or write failed, the socket was
    /// reset, or the peer closed its TCP connection without a close frame. Nothing more can be
    /// said to it. Called at most once, and not for a connection already closing; ``closed()``
    /// follows.
    func lost(reason: String)

    /// The connection ended: a closing handshake, a cut or a failure. Called once.
    func closed()

    /// Whether the consumer has asked, from any thread, to close the connection: the frame
    /// layer then acts on nothing more the peer sends.
    var isClosing: Bool { get }
}

extension WebSocketConsumer {
    public func heard() {}
    public func writable() {}
    public func quiesce(_ connection: WebSocketConnection) { connection.close(.goingAway, reason: "server shutting down") }
    public var isClosing: Bool { false }
    public func lost(reason: String) {}
}
