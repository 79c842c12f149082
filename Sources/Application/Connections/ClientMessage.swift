import StreamingDomain

/// A request from a client, parsed from one JSON text frame (see docs/PROTOCOL.md).
public enum ClientMessage: Sendable, Hashable {
    /// `{"type":"subscribe","channel":C}`
    case subscribe(channel: String)
    /// `{"type":"unsubscribe","channel":C}`
    case unsubscribe(channel: String)
    /// `{"type":"publish","channel":C,"data":ANY}`
    case publish(channel: String, data: JSONValue)
    /// `{"type":"agent_stream","id":ID,"agent":NAME,"input":TEXT}`; without `id` the server picks one.
    case agentStream(id: String?, agent: String, input: String)
    /// `{"type":"cancel","id":ID}`
    case cancel(id: String)
    /// `{"type":"resume","id":ID,"after_seq":N}`
    case resume(id: String, afterSeq: Int)
    /// `{"type":"ping"}`
    case ping
    /// `{"type":"auth","token":T}`
    case auth(token: String)
    /// Any other type, for handlers registered with ``ConnectionHub/handle(_:_:)``.
    case custom(type: String, fields: [String: JSONValue])

    /// The `type` field this message was parsed from.
    public var type: String {
        switch self {
        case .subscribe: "subscribe"
        case .unsubscribe: "unsubscribe"
        case .publish: "publish"
        case .agentStream: "agent_stream"
        case .cancel: "cancel"
        case .resume: "resume"
        case .ping: "ping"
        case .auth: "auth"
        case .custom(let type, _): type
        }
    }

    /// Parses a message from a decoded JSON value, checking every field's type.
    public init(_ value: JSONValue) throws(ProtocolFailure) {
        guard case .object(let fields) = value else {
            throw ProtocolFailure(.invalidMessage, "a message must be a JSON object")
        }
        let reader = FieldReader(fields: fields)
        let type = try reader.string("type")
        // Found by `make fuzz`: an empty type was taken for a custom message type.
        guard !type.isEmpty else { throw ProtocolFailure(.invalidMessage, "\"type\" must not be empty") }
        switch type {
        case "subscribe": self = .subscribe(channel: try reader.channel())
        case "unsubscribe": self = .unsubscribe(channel: try reader.channel())
        case "publish":
            guard let data = fields["data"] else {
                throw ProtocolFailure(.invalidMessage, "publish needs a \"data\" field")
            }
            self = .publish(channel: try reader.channel(), data: data)
        case "agent_stream":
            let id = try reader.optionalString("id")
            if let id { try reader.checkStreamID(id) }
            self = .agentStream(id: id, agent: try reader.string("agent"), input: try reader.string("input"))
        case "cancel": self = .cancel(id: try reader.string("id"))
        case "resume":
            let afterSeq = try reader.int("after_seq")
            guard afterSeq >= 0 else {
                throw ProtocolFailure(.invalidMessage, "\"after_seq\" must be 0 or more")
            }
            self = .resume(id: try reader.string("id"), afterSeq: afterSeq)
        case "ping": self = .ping
        case "auth": self = .auth(token: try reader.string("token"))
        default: self = .custom(type: type, fields: fields)
        }
    }
}

/// Typed access to a message's fields, failing with `invalid_message` and the field's name.
public struct FieldReader: Sendable {
    public let fields: [String: JSONValue]

    public init(fields: [String: JSONValue]) { self.fields = fields }

    /// The longest channel name or stream id accepted.
    public static let maxNameLength = 256

    public func string(_ name: String) throws(ProtocolFailure) -> String {
        guard let value = fields[name] else {
            throw ProtocolFailure(.invalidMessage, "missing field \"\(name)\"")
        }
        guard case .string(let text) = value else {
            throw ProtocolFailure(.invalidMessage, "field \"\(name)\" must be a string")
        }
        return text
    }

    public func optionalString(_ name: String) throws(ProtocolFailure) -> String? {
        guard let value = fields[name], value != .null else { return nil }
        guard case .string(let text) = value else {
            throw ProtocolFailure(.invalidMessage, "field \"\(name)\" must be a string")
        }
        return text
    }

    public func int(_ name: String) throws(ProtocolFailure) -> Int {
        guard let value = fields[name] else {
            throw ProtocolFailure(.invalidMessage, "missing field \"\(name)\"")
        }
        switch value {
        case .int(let number): return number
        case .double(let number) where number == number.rounded() && abs(number) < 1e15: return Int(number)
        default: throw ProtocolFailure(.invalidMessage, "field \"\(name)\" must be an integer")
        }
    }

    public func optionalInt(_ name: String) throws(ProtocolFailure) -> Int? {
        guard let value = fields[name], value != .null else { return nil }
        _ = value
        return try int(name)
    }

    func channel() throws(ProtocolFailure) -> String {
        let channel = try string("channel")
        guard !channel.isEmpty, channel.utf8.count <= Self.maxNameLength else {
            throw ProtocolFailure(.invalidMessage, "\"channel\" must be 1 to \(Self.maxNameLength) bytes")
        }
        return channel
    }

    func checkStreamID(_ id: String) throws(ProtocolFailure) {
        guard !id.isEmpty, id.utf8.count <= Self.maxNameLength else {
            throw ProtocolFailure(.invalidMessage, "\"id\" must be 1 to \(Self.maxNameLength) bytes")
        }
    }
}
