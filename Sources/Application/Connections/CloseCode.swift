/// A WebSocket close code (RFC 6455, section 7.4.1) the hub asks a transport to close with.
///
/// The hub decides *why* a connection ends; the transport turns the code into a close frame.
public struct CloseCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// 1000: the conversation is over.
    public static let normal = CloseCode(rawValue: 1000)
    /// 1001: the server is shutting down.
    public static let goingAway = CloseCode(rawValue: 1001)
    /// 1002: the peer broke the WebSocket protocol (bad framing, missing pong).
    public static let protocolError = CloseCode(rawValue: 1002)
    /// 1003: the peer sent a binary message; the protocol speaks JSON text only.
    public static let unsupportedData = CloseCode(rawValue: 1003)
    /// 1007: a text message was not valid UTF-8.
    public static let invalidPayload = CloseCode(rawValue: 1007)
    /// 1008: the peer broke a policy (failed authentication, forbidden origin).
    public static let policyViolation = CloseCode(rawValue: 1008)
    /// 1009: a message was larger than the server accepts.
    public static let messageTooBig = CloseCode(rawValue: 1009)
    /// 1011: the server hit an unexpected condition.
    public static let internalError = CloseCode(rawValue: 1011)
    /// 1012: the server is restarting (a deploy drains it): reconnect now, without backoff,
    /// and a load balancer sends the new connection to another node.
    public static let serviceRestart = CloseCode(rawValue: 1012)
    /// 1013: the server is at capacity; try again later.
    public static let tryAgainLater = CloseCode(rawValue: 1013)

    /// Whether `code` may be sent in a close frame: the codes RFC 6455 defines for that
    /// (not 1004, 1005, 1006 or 1015), and the 3000–4999 range for libraries and applications.
    public static func mayBeSent(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }

    public var description: String { String(rawValue) }
}
