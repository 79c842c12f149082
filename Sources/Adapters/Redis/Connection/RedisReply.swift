import CHiredis
import StreamingDomain

/// One reply of a Redis server (RESP2), copied out of hiredis's reply object.
public enum RedisReply: Sendable, Hashable {
    /// A simple string such as `OK` or `PONG`.
    case status(String)
    /// An error reply such as `NOSCRIPT No matching script`: the command ran and was refused.
    case error(String)
    /// An integer reply, such as the count `LLEN` returns.
    case integer(Int64)
    /// A bulk string: raw bytes, binary-safe.
    case bulk([UInt8])
    /// An array reply (a multi-bulk), whose elements may be arrays too.
    case array([RedisReply])
    /// The nil bulk string or nil array.
    case null

    /// Copies a hiredis reply (which the caller still frees).
    init(_ reply: UnsafePointer<redisReply>) {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_STATUS:
            self = .status(Self.text(value.str, value.len))
        case REDIS_REPLY_ERROR:
            self = .error(Self.text(value.str, value.len))
        case REDIS_REPLY_INTEGER:
            self = .integer(Int64(value.integer))
        case REDIS_REPLY_STRING:
            self = .bulk(Self.bytes(value.str, value.len))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(value.elements)
            for index in 0..<value.elements {
                if let element = value.element[index] {
                    elements.append(RedisReply(element))
                } else {
                    elements.append(.null)
                }
            }
            self = .array(elements)
        default:
            self = .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ count: Int) -> [UInt8] {
        guard let pointer, count > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    private static func text(_ pointer: UnsafeMutablePointer<CChar>?, _ count: Int) -> String {
        String(decoding: bytes(pointer, count), as: UTF8.self)
    }
}

extension RedisReply {
    /// The reply itself, or `StreamingError.protocol` when it is an error reply.
    public func checked(_ what: @autoclosure () -> String) throws -> RedisReply {
        if case .error(let message) = self { throw StreamingError.protocol("\(what()): Redis answered \(message)") }
        return self
    }

    /// The integer of an integer reply (or of a bulk string holding digits).
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .bulk(let bytes): Int64(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }

    /// The bytes of a bulk or status reply.
    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let bytes): bytes
        case .status(let text): Array(text.utf8)
        default: nil
        }
    }

    /// The text of a bulk or status reply, decoded as UTF-8.
    public var string: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }

    /// The elements of an array reply.
    public var array: [RedisReply]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// Whether this is the nil reply.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}
