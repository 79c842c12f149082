import StreamingApplication
import StreamingDomain

/// One frame from the server, decoded (see docs/PROTOCOL.md).
///
/// ``WebSocketClient`` consumes replies and agent-stream frames itself; what it does not
/// consume reaches ``WebSocketClient/onMessage(_:)`` as one of these.
public enum ServerMessage: Sendable, Hashable {
    /// `connected`: the first frame of every connection.
    case connected(clientID: String, identity: String?, authenticationRequired: Bool)
    /// `subscribed`: a subscribe succeeded.
    case subscribed(channel: String)
    /// `unsubscribed`: an unsubscribe succeeded.
    case unsubscribed(channel: String)
    /// `message`: a publication on a subscribed channel; `from` is the sender's client id,
    /// `nil` for the server.
    case message(channel: String, data: JSONValue, from: String?)
    /// `pong`: the answer to a protocol-level `ping`.
    case pong
    /// `authenticated`: a token was accepted.
    case authenticated(identity: String)
    /// `missed`: the server dropped `count` frames because this client read too slowly.
    case missed(count: Int)
    /// `resumed`: the server replays stream `id` after `afterSeq`; `lastSeq` is its newest frame.
    case resumed(id: String, afterSeq: Int, lastSeq: Int, finished: Bool)
    /// A frame of an agent stream.
    case streamEvent(AgentStreamEvent)
    /// `error`.
    case error(ErrorFrame)
    /// Any other type (chat rooms and other extensions), with all its fields; a chat room's
    /// `response_chunk`, `tool_call` and `tool_output` (they carry a `room`) too.
    case other(type: String, fields: [String: JSONValue])

    /// The frame's `type`.
    public var type: String {
        switch self {
        case .connected: "connected"
        case .subscribed: "subscribed"
        case .unsubscribed: "unsubscribed"
        case .message: "message"
        case .pong: "pong"
        case .authenticated: "authenticated"
        case .missed: "missed"
        case .resumed: "resumed"
        case .streamEvent(let event):
            switch event.kind {
            case .content: "response_chunk"
            case .toolCall: "tool_call"
            case .toolOutput: "tool_output"
            case .handoff: "handoff"
            case .complete: "complete"
            case .other(let type, _): type
            }
        case .error: "error"
        case .other(let type, _): type
        }
    }

    /// Decodes a frame from its JSON text.
    /// - Throws: ``StreamingDomain/StreamingError/protocol(_:)`` when the text is not JSON,
    ///   not an object, or misses a field its type needs.
    public init(text: String) throws(StreamingError) {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: text)
        } catch {
            throw .protocol("the server sent text that is not JSON: \(error)")
        }
        do {
            try self.init(value)
        } catch {
            throw .protocol("the server sent a malformed frame: \(error.message)")
        }
    }

    /// Decodes a frame from a parsed JSON value.
    init(_ value: JSONValue) throws(ProtocolFailure) {
        guard case .object(let fields) = value else {
            throw ProtocolFailure(.invalidMessage, "a frame must be a JSON object")
        }
        let reader = FieldReader(fields: fields)
        let type = try reader.string("type")
        switch type {
        case "connected":
            self = .connected(
                clientID: try reader.string("client_id"), identity: try reader.optionalString("identity"),
                authenticationRequired: fields["authentication_required"]?.boolValue ?? false)
        case "subscribed": self = .subscribed(channel: try reader.string("channel"))
        case "unsubscribed": self = .unsubscribed(channel: try reader.string("channel"))
        case "message":
            self = .message(
                channel: try reader.string("channel"), data: fields["data"] ?? .null,
                from: try reader.optionalString("from"))
        case "pong": self = .pong
        case "authenticated": self = .authenticated(identity: try reader.string("identity"))
        case "missed": self = .missed(count: try reader.int("count"))
        case "resumed":
            self = .resumed(
                id: try reader.string("id"), afterSeq: try reader.int("after_seq"),
                lastSeq: try reader.int("last_seq"), finished: fields["finished"]?.boolValue ?? false)
        case "error": self = .error(try ErrorFrame(reader))
        // A chat room's answer frames share these types but belong to a room, not to a
        // stream this client started: they are `.other`, like every chat frame.
        case _ where AgentStreamEvent.frameTypes.contains(type) && fields["room"] == nil:
            self = .streamEvent(
                try AgentStreamEvent(type: type, id: try reader.string("id"), seq: try reader.int("seq"), fields: reader))
        default:
            self = .other(type: type, fields: fields)
        }
    }
}
