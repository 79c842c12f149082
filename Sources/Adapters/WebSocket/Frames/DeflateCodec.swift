import CompressNIO
import NIOCore

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
