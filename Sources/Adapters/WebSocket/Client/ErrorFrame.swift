import StreamingApplication
import StreamingDomain

/// An `error` frame from the server: `{"type":"error","code":...,"message":...}`, with the
/// stream's `id` (and `seq`, when it ends the stream) and the `request_type` it answers.
public struct ErrorFrame: Sendable, Hashable, Error, CustomStringConvertible {
    /// The stable code (`not_found`, `unauthorized`, `cancelled`...; see docs/PROTOCOL.md).
    public var code: String
    /// The server's explanation, for people.
    public var message: String
    /// The agent stream it belongs to, if any.
    public var streamID: String?
    /// Set when the error is the last frame of an agent stream.
    public var seq: Int?
    /// The `type` of the request it refuses, when the server names it.
    public var requestType: String?

    /// Creates an error frame's contents.
    public init(code: String, message: String, streamID: String? = nil, seq: Int? = nil, requestType: String? = nil) {
        self.code = code
        self.message = message
        self.streamID = streamID
        self.seq = seq
        self.requestType = requestType
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }

    /// The error as the framework's typed error.
    ///
    /// `cancelled` → ``StreamingDomain/StreamingError/cancelled``, `not_found` →
    /// ``StreamingDomain/StreamingError/notFound(_:)``, `unauthorized` and `forbidden` → their
    /// cases, `server_busy` (a server limit, or the model server's connections all busy past
    /// `provider.queue_timeout`) → ``StreamingDomain/StreamingError/serverBusy(_:)``, the codes
    /// of malformed requests (`invalid_message`, `unknown_type`, `too_large`, `invalid_input`) →
    /// ``StreamingDomain/StreamingError/invalidInput(_:)``, the codes an agent run fails with
    /// (`timeout`, `connection`, `protocol`, `provider`, `rate_limited`, `queue_full`,
    /// `max_turns_exceeded`, `shut_down`) → their cases, and the codes without a case of their
    /// own (`shutting_down`, `internal_error`, the chat rooms' `room_full`, `room_exists`,
    /// `room_limit`) → ``StreamingDomain/StreamingError/server(code:message:)``, which keeps the
    /// code.
    public var streamingError: StreamingError {
        switch code {
        case "cancelled": .cancelled
        case "not_found": .notFound(message)
        case "unauthorized": .unauthorized(message)
        case "forbidden": .forbidden(message)
        case "server_busy": .serverBusy(message)
        case "invalid_message", "unknown_type", "too_large", "invalid_input": .invalidInput(message)
        case "rate_limited": .rateLimited(retryAfter: Self.retryAfter(in: message))
        case "timeout": .timeout(message)
        case "connection": .connection(message)
        case "protocol": .protocol(message)
        case "provider": .provider(status: Self.firstInteger(in: message) ?? 0, message: message)
        case "queue_full": .queueFull(capacity: Self.firstInteger(in: message) ?? 0)
        case "max_turns_exceeded": .maxTurnsExceeded(maxTurns: Self.firstInteger(in: message) ?? 0)
        case "shut_down": .shutDown(message)
        default: .server(code: code, message: message)
        }
    }

    /// Reads an `error` frame's fields.
    init(_ reader: FieldReader) throws(ProtocolFailure) {
        self.init(
            code: try reader.string("code"),
            message: try reader.optionalString("message") ?? "",
            streamID: try reader.optionalString("id"),
            seq: try reader.optionalInt("seq"),
            requestType: try reader.optionalString("request_type")
        )
    }

    /// The first run of decimal digits in `text` (the numbers the server writes into messages,
    /// such as "retry in 250 ms" or "no final answer within 8 turns").
    static func firstInteger(in text: String) -> Int? {
        var digits = ""
        for character in text {
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else if !digits.isEmpty {
                break
            }
        }
        return digits.isEmpty ? nil : Int(digits)
    }

    /// The hint of a `rate_limited` message ("retry in N ms").
    static func retryAfter(in text: String) -> Duration? {
        firstInteger(in: text).map { .milliseconds($0) }
    }
}
