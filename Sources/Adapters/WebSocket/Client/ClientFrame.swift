import StreamingApplication
import StreamingDomain

/// A message the client will send, kept as intent until the writer takes it.
///
/// Requests that follow from the client's state (authentication, subscriptions, starting
/// and resuming streams) are rendered only when written, from the state of that moment:
/// a `resume` asks for the frames after the last one delivered *then*, not when it was queued.
enum Outgoing: Sendable, Hashable {
    /// Text the user sent (`publish`, custom messages): sent as is, kept across reconnects.
    case text(String)
    /// `auth` with the current token.
    case auth
    case subscribe(String)
    case unsubscribe(String)
    /// `agent_stream` for the tracked stream with this id.
    case startStream(String)
    /// `resume` for the tracked stream with this id, after its last delivered `seq`.
    case resume(String)
    /// `cancel` of a stream the consumer abandoned; kept across reconnects.
    case cancel(String)

    /// Whether the item survives a dropped connection. The others are regenerated from the
    /// client's state when the next connection opens, so they must not be sent twice.
    var survivesReconnect: Bool {
        switch self {
        case .text, .cancel: true
        case .auth, .subscribe, .unsubscribe, .startStream, .resume: false
        }
    }
}

/// Encoders for the frames a client sends (see docs/PROTOCOL.md).
enum ClientFrame {
    /// `{"type":"subscribe","channel":C}`
    static func subscribe(_ channel: String) -> String {
        encode { $0.field("type", "subscribe"); $0.field("channel", channel) }
    }

    /// `{"type":"unsubscribe","channel":C}`
    static func unsubscribe(_ channel: String) -> String {
        encode { $0.field("type", "unsubscribe"); $0.field("channel", channel) }
    }

    /// `{"type":"publish","channel":C,"data":ANY}`
    static func publish(channel: String, data: JSONValue) -> String {
        encode { writer in
            writer.field("type", "publish")
            writer.field("channel", channel)
            writer.key("data")
            writer.value(data)
        }
    }

    /// `{"type":"auth","token":T}`
    static func auth(token: String) -> String {
        encode { $0.field("type", "auth"); $0.field("token", token) }
    }

    /// `{"type":"agent_stream","id":ID,"agent":NAME,"input":TEXT}`
    static func agentStream(id: String, agent: String, input: String) -> String {
        encode { writer in
            writer.field("type", "agent_stream")
            writer.field("id", id)
            writer.field("agent", agent)
            writer.field("input", input)
        }
    }

    /// `{"type":"resume","id":ID,"after_seq":N}`
    static func resume(id: String, afterSeq: Int) -> String {
        encode { $0.field("type", "resume"); $0.field("id", id); $0.field("after_seq", afterSeq) }
    }

    /// `{"type":"cancel","id":ID}`
    static func cancel(id: String) -> String {
        encode { $0.field("type", "cancel"); $0.field("id", id) }
    }

    /// `{"type":"ping"}`
    static let ping = #"{"type":"ping"}"#

    /// A message of any `type` with the given fields (`type` first, then the others sorted).
    static func custom(type: String, fields: [String: JSONValue]) -> String {
        encode { writer in
            writer.field("type", type)
            for name in fields.keys.sorted() where name != "type" {
                writer.key(name)
                writer.value(fields[name]!)
            }
        }
    }

    private static func encode(_ body: (inout JSONWriter) -> Void) -> String {
        var writer = JSONWriter(capacity: 64)
        writer.beginObject()
        body(&writer)
        writer.endObject()
        return writer.output
    }
}
