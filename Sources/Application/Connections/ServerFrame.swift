import StreamingDomain

/// Encoders for the frames the server sends (see docs/PROTOCOL.md).
///
/// Each returns an ``OutboundFrame`` encoded once, ready to hand to any number of connections.
public enum ServerFrame {
    /// `{"type":"connected","client_id":ID,"authenticated":BOOL}`: the first frame on every connection;
    /// `client_address` when the transport knows it (behind trusted proxies, the address they forwarded).
    public static func connected(
        _ id: ConnectionID, identity: String?, authenticationRequired: Bool, clientAddress: String? = nil
    ) -> OutboundFrame {
        encode { writer in
            writer.field("type", "connected")
            writer.field("client_id", id.rawValue)
            writer.field("authenticated", identity != nil)
            writer.field("authentication_required", authenticationRequired)
            if let identity { writer.field("identity", identity) }
            if let clientAddress { writer.field("client_address", clientAddress) }
        }
    }

    /// `{"type":"cancelled","id":ID}`: the answer to a `cancel` sent by a connection that does
    /// not follow the stream (its followers get the stream's final `error` frame instead).
    public static func cancelled(id: String) -> OutboundFrame {
        encode { writer in
            writer.field("type", "cancelled")
            writer.field("id", id)
        }
    }

    /// `{"type":"subscribed","channel":C}`
    public static func subscribed(_ channel: String) -> OutboundFrame {
        encode { writer in
            writer.field("type", "subscribed")
            writer.field("channel", channel)
        }
    }

    /// `{"type":"unsubscribed","channel":C}`
    public static func unsubscribed(_ channel: String) -> OutboundFrame {
        encode { writer in
            writer.field("type", "unsubscribed")
            writer.field("channel", channel)
        }
    }

    /// `{"type":"message","channel":C,"data":ANY,"from":ID}`; `from` is omitted for server publishes.
    public static func message(channel: String, data: JSONValue, from: ConnectionID?) -> OutboundFrame {
        encode(capacity: 96) { writer in
            writer.field("type", "message")
            writer.field("channel", channel)
            writer.key("data")
            writer.value(data)
            if let from { writer.field("from", from.rawValue) }
        }
    }

    /// `{"type":"pong"}`
    public static let pong = OutboundFrame(text: #"{"type":"pong"}"#)

    /// `{"type":"authenticated","identity":NAME}`
    public static func authenticated(identity: String) -> OutboundFrame {
        encode { writer in
            writer.field("type", "authenticated")
            writer.field("identity", identity)
        }
    }

    /// `{"type":"missed","count":N}`: frames dropped because the client read too slowly.
    public static func missed(_ count: Int) -> OutboundFrame {
        encode { writer in
            writer.field("type", "missed")
            writer.field("count", count)
        }
    }

    /// `{"type":"resumed","id":ID,"after_seq":N,"last_seq":M,"finished":BOOL}`, sent before the replay.
    public static func resumed(id: String, afterSeq: Int, lastSeq: Int, finished: Bool) -> OutboundFrame {
        encode { writer in
            writer.field("type", "resumed")
            writer.field("id", id)
            writer.field("after_seq", afterSeq)
            writer.field("last_seq", lastSeq)
            writer.field("finished", finished)
        }
    }

    /// `{"type":"error","code":CODE,"message":TEXT}`, with `id` (and `seq`) when it ends a stream.
    public static func error(_ failure: ProtocolFailure, seq: Int? = nil, requestType: String? = nil) -> OutboundFrame {
        encode { writer in
            writer.field("type", "error")
            if let id = failure.streamID { writer.field("id", id) }
            if let seq { writer.field("seq", seq) }
            writer.field("code", failure.code.rawValue)
            writer.field("message", failure.message)
            if let requestType { writer.field("request_type", requestType) }
        }
    }

    /// Encodes a frame with `body` writing its fields into an open object.
    public static func encode(capacity: Int = 64, _ body: (inout JSONWriter) -> Void) -> OutboundFrame {
        var writer = JSONWriter(capacity: capacity)
        writer.beginObject()
        body(&writer)
        writer.endObject()
        return OutboundFrame(text: writer.output)
    }
}
