import NIOCore
import StreamingApplication

/// Writes server-to-client WebSocket frames (RFC 6455 section 5.2) straight into a buffer.
///
/// Server frames are never masked, so a frame is a 2-, 4- or 10-byte header followed by the
/// payload: writing it by hand lets a connection append many frames to one buffer and hand
/// the kernel one write per event-loop tick.
enum WebSocketFrameWriter {
    enum Opcode: UInt8 {
        case text = 0x1
        case binary = 0x2
        case close = 0x8
        case ping = 0x9
        case pong = 0xA
    }

    /// The header size for a payload of `length` bytes.
    static func headerSize(payloadLength length: Int) -> Int {
        length < 126 ? 2 : (length <= 0xFFFF ? 4 : 10)
    }

    /// Appends one final frame; `compressed` sets RSV1 (permessage-deflate).
    static func writeHeader(_ opcode: Opcode, payloadLength length: Int, compressed: Bool = false, to buffer: inout ByteBuffer) {
        buffer.writeInteger(0x80 | (compressed ? 0x40 : 0) | opcode.rawValue)
        if length < 126 {
            buffer.writeInteger(UInt8(length))
        } else if length <= 0xFFFF {
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(length))
        } else {
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(length))
        }
    }

    static func write(_ opcode: Opcode, payload: [UInt8], to buffer: inout ByteBuffer) {
        writeHeader(opcode, payloadLength: payload.count, to: &buffer)
        buffer.writeBytes(payload)
    }

    static func write(_ opcode: Opcode, payload: ByteBuffer, compressed: Bool = false, to buffer: inout ByteBuffer) {
        writeHeader(opcode, payloadLength: payload.readableBytes, compressed: compressed, to: &buffer)
        buffer.writeImmutableBuffer(payload)
    }

    /// A close frame: the code, then a reason cut to fit the 125-byte control-frame limit.
    static func closePayload(code: CloseCode, reason: String) -> [UInt8] {
        var payload: [UInt8] = [UInt8(code.rawValue >> 8), UInt8(code.rawValue & 0xFF)]
        var reasonBytes = Array(reason.utf8.prefix(123))
        // Never cut a multi-byte character in half: the reason must stay valid UTF-8.
        while !reasonBytes.isEmpty, String(validating: reasonBytes, as: UTF8.self) == nil { reasonBytes.removeLast() }
        payload.append(contentsOf: reasonBytes)
        return payload
    }
}
