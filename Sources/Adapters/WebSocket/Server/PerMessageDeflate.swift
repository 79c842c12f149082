import CompressNIO
import NIOCore

/// permessage-deflate (RFC 7692) as this server speaks it.
///
/// The server always negotiates `server_no_context_takeover` and `client_no_context_takeover`:
/// each message is compressed on its own, so one zlib stream per event loop serves every
/// connection on it. Keeping a context per connection would cost about 300 KB of zlib state
/// for each client, against a budget of a few kilobytes per idle connection.
enum PerMessageDeflate {
    /// The response header value for the client's `Sec-WebSocket-Extensions` offers, or `nil`
    /// when the client offers nothing this server accepts.
    static func negotiate(offers headerValues: [String]) -> String? {
        for offer in headerValues.flatMap({ $0.split(separator: ",") }) {
            let parameters = offer.split(separator: ";").map { trimmed($0) }
            guard parameters.first == "permessage-deflate" else { continue }
            var acceptable = true
            for parameter in parameters.dropFirst() {
                let parts = parameter.split(separator: "=", maxSplits: 1).map { trimmed($0) }
                switch parts[0] {
                case "client_max_window_bits", "client_no_context_takeover", "server_no_context_takeover":
                    continue
                case "server_max_window_bits":
                    // The shared compressor uses a 32 KiB window; a client that wants less is
                    // served uncompressed rather than with a second zlib stream.
                    if parts.count < 2 || parts[1] != "15" { acceptable = false }
                default:
                    acceptable = false
                }
            }
            if acceptable { return "permessage-deflate; server_no_context_takeover; client_no_context_takeover" }
        }
        return nil
    }

    private static func trimmed(_ text: some StringProtocol) -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\"" }
        return String(text.drop(while: isBlank).reversed().drop(while: isBlank).reversed())
    }

    /// The four bytes a sync flush ends with; removed on send and restored on receive (RFC 7692 7.2.1).
    static let syncFlushTail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]
}

/// One compressor and one decompressor, shared by every connection of one event loop.
///
/// Not thread-safe: it belongs to an ``EventLoopOutbox`` and is used on its loop only.
final class DeflateCodec {
    /// Messages shorter than this are sent uncompressed (allowed per message by RFC 7692):
    /// deflate's framing would make them longer, and it saves CPU on small chunks.
    static let minimumSizeToCompress = 256

    private var compressor: ZlibCompressor?
    private var decompressor: ZlibDecompressor?
    private let allocator = ByteBufferAllocator()
    /// The last frame compressed: a fan-out compresses each publish once per loop, not per client.
    private var cached: (source: [UInt8], compressed: ByteBuffer)?

    /// Compresses one message payload; `nil` when it is better sent as is.
    func compress(_ payload: [UInt8]) -> ByteBuffer? {
        guard payload.count >= Self.minimumSizeToCompress else { return nil }
        if let cached, Self.sameStorage(cached.source, payload) { return cached.compressed }
        do {
            let compressor = try compressor ?? ZlibCompressor(algorithm: .deflate)
            self.compressor = compressor
            try compressor.reset()
            var input = allocator.buffer(bytes: payload)
            var output = allocator.buffer(capacity: compressor.maxSize(from: input))
            try compressor.deflate(from: &input, to: &output, flush: .sync)
            // Drop the sync flush's empty block; the receiver adds it back.
            if output.readableBytes >= 4,
                output.getBytes(at: output.writerIndex - 4, length: 4) == PerMessageDeflate.syncFlushTail
            {
                output.moveWriterIndex(to: output.writerIndex - 4)
            }
            guard output.readableBytes < payload.count else { return nil }
            cached = (payload, output)
            return output
        } catch {
            return nil
        }
    }

    /// Decompresses one message; throws ``DeflateError/tooLarge`` past `limit` bytes.
    func decompress(_ message: ByteBuffer, limit: Int) throws -> ByteBuffer {
        let decompressor = try decompressor ?? ZlibDecompressor(algorithm: .deflate)
        self.decompressor = decompressor
        try decompressor.reset()
        var input = message
        input.writeBytes(PerMessageDeflate.syncFlushTail)
        var output = allocator.buffer(capacity: min(limit + 1, max(1024, message.readableBytes * 4)))
        while true {
            do {
                try decompressor.inflate(from: &input, to: &output)
                return output
            } catch let error as CompressNIOError where error == .bufferOverflow {
                guard output.capacity <= limit else { throw DeflateError.tooLarge }
                output.reserveCapacity(minimumWritableBytes: min(output.capacity, limit + 1 - output.readableBytes))
            } catch let error as CompressNIOError where error == .inputBufferOverflow {
                return output
            }
            if output.readableBytes > limit { throw DeflateError.tooLarge }
        }
    }

    private static func sameStorage(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        lhs.count == rhs.count
            && lhs.withUnsafeBufferPointer { left in
                rhs.withUnsafeBufferPointer { right in left.baseAddress == right.baseAddress }
            }
    }
}

enum DeflateError: Error {
    case tooLarge
}
