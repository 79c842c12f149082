import CompressNIO
import NIOCore

/// permessage-deflate (RFC 7692) as this server speaks it.
///
/// The server always negotiates `server_no_context_takeover` and `client_no_context_takeover`:
/// each message is compressed on its own, so one zlib stream per event loop (and window size)
/// serves every connection on it. Keeping a context per connection would cost about 300 KB of
/// zlib state for each client, against a budget of a few kilobytes per idle connection.
enum PerMessageDeflate {
    /// What one connection negotiated.
    struct Parameters: Sendable, Hashable {
        /// The base-2 logarithm of the window this server compresses with (9 to 15).
        var serverMaxWindowBits: Int = 15

        /// The `Sec-WebSocket-Extensions` response header value.
        var responseHeader: String {
            var header = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
            if serverMaxWindowBits < 15 { header += "; server_max_window_bits=\(serverMaxWindowBits)" }
            return header
        }
    }

    /// The parameters for the first of the client's `Sec-WebSocket-Extensions` offers this
    /// server accepts, or `nil` when it accepts none (the connection is then uncompressed).
    ///
    /// An offer is declined, as RFC 7692 section 7 requires, when it has an unknown parameter,
    /// a parameter twice, or a value that is not allowed. `server_max_window_bits=8` is
    /// declined too: zlib's raw deflate cannot compress with a 256-byte window.
    static func negotiate(offers headerValues: [String]) -> Parameters? {
        for offer in headerValues.flatMap({ $0.split(separator: ",") }) {
            if let parameters = accept(offer) { return parameters }
        }
        return nil
    }

    private static func accept(_ offer: Substring) -> Parameters? {
        let elements = offer.split(separator: ";", omittingEmptySubsequences: false).map { trimmed($0) }
        guard elements.first == "permessage-deflate" else { return nil }
        var parameters = Parameters()
        var seen: Set<String> = []
        for element in elements.dropFirst() {
            let parts = element.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { trimmed($0) }
            let name = parts[0]
            let value = parts.count == 2 ? parts[1] : nil
            guard seen.insert(name).inserted else { return nil }
            switch name {
            case "client_no_context_takeover", "server_no_context_takeover":
                guard value == nil else { return nil }
            case "client_max_window_bits":
                // Optional value: the client can compress with a smaller window. Any window
                // inflates with the 32 KiB one, so the answer does not mention it.
                if let value { guard windowBits(value) != nil else { return nil } }
            case "server_max_window_bits":
                guard let value, let bits = windowBits(value), bits >= 9 else { return nil }
                parameters.serverMaxWindowBits = bits
            default:
                return nil
            }
        }
        return parameters
    }

    /// A window size value: 8 to 15, digits only (RFC 7692 7.1.2).
    private static func windowBits(_ value: String) -> Int? {
        guard !value.isEmpty, value.utf8.count <= 2, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let bits = Int(value), (8...15).contains(bits)
        else { return nil }
        return bits
    }

    /// Trims blanks, and the quotes a quoted-string value may have.
    private static func trimmed(_ text: some StringProtocol) -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\"" }
        return String(text.drop(while: isBlank).reversed().drop(while: isBlank).reversed())
    }

    /// The four bytes a sync flush ends with; removed on send and restored on receive (RFC 7692 7.2.1).
    static let syncFlushTail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]
}

/// Compressors (one per window size in use) and one decompressor, shared by every connection
/// of one event loop.
///
/// Not thread-safe: it belongs to an ``EventLoopOutbox`` and is used on its loop only.
final class DeflateCodec {
    /// Messages shorter than this are sent uncompressed (allowed per message by RFC 7692):
    /// deflate's framing would make them longer, and it saves CPU on small chunks.
    static let minimumSizeToCompress = 256

    private var compressors: [Int: ZlibCompressor] = [:]
    private var decompressor: ZlibDecompressor?
    private let allocator = ByteBufferAllocator()
    /// The last frame compressed: a fan-out compresses each publish once per loop, not per client.
    private var cached: (source: [UInt8], windowBits: Int, compressed: ByteBuffer)?

    /// Compresses one message payload; `nil` when it is better sent as is.
    func compress(_ payload: [UInt8], windowBits: Int = 15) -> ByteBuffer? {
        guard payload.count >= Self.minimumSizeToCompress else { return nil }
        if let cached, cached.windowBits == windowBits, Self.sameStorage(cached.source, payload) { return cached.compressed }
        guard let output = compress(allocator.buffer(bytes: payload), windowBits: windowBits) else { return nil }
        cached = (payload, windowBits, output)
        return output
    }

    /// Compresses one message payload; `nil` when it is better sent as is.
    func compress(_ payload: ByteBuffer, windowBits: Int = 15) -> ByteBuffer? {
        guard payload.readableBytes >= Self.minimumSizeToCompress else { return nil }
        do {
            let compressor = try compressors[windowBits]
                ?? ZlibCompressor(algorithm: .deflate, configuration: ZlibConfiguration(windowSize: Int32(windowBits)))
            compressors[windowBits] = compressor
            try compressor.reset()
            var input = payload
            var output = allocator.buffer(capacity: compressor.maxSize(from: input))
            try compressor.deflate(from: &input, to: &output, flush: .sync)
            // Drop the sync flush's empty block; the receiver adds it back.
            if output.readableBytes >= 4,
                output.getBytes(at: output.writerIndex - 4, length: 4) == PerMessageDeflate.syncFlushTail
            {
                output.moveWriterIndex(to: output.writerIndex - 4)
            }
            guard output.readableBytes < payload.readableBytes else { return nil }
            return output
        } catch {
            return nil
        }
    }

    /// Decompresses one message; throws ``DeflateError/tooLarge`` past `limit` bytes,
    /// ``DeflateError/corrupt`` when the peer's data is not deflate, and zlib's own error when
    /// the server cannot inflate at all (no memory).
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
            } catch let error as CompressNIOError where error == .corruptData || error == .unfinished {
                throw DeflateError.corrupt
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
    /// The message inflates past the size limit.
    case tooLarge
    /// The message is not a valid deflate stream.
    case corrupt
}
