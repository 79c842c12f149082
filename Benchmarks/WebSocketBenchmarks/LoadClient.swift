// A minimal WebSocket load client on SwiftNIO: hand-made handshake, unmasked server frames
// parsed in place, frames counted, and publish-to-receive latency read from the payload.
// It must cost little next to the server it measures, so it does nothing else.
import Glibc
import NIOCore
import NIOPosix
import Synchronization

/// Monotonic nanoseconds, the clock both publisher and receivers use.
func monotonicNanoseconds() -> Int {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return time.tv_sec * 1_000_000_000 + time.tv_nsec
}

/// Where a frame carries its send time: after `key`, as decimal nanoseconds, in frames that
/// start with `framePrefix`.
struct TimestampFormat: Sendable {
    let framePrefix: [UInt8]
    let key: [UInt8]

    /// The publish benchmarks: `"t":123` in any frame.
    static let field = TimestampFormat(framePrefix: [], key: Array(#""t":"#.utf8))
    /// The chat room: `response_chunk` frames whose content starts `t=123;` (the answer's
    /// `chat_message` holds every chunk's text, so it is left out).
    static let responseChunk = TimestampFormat(
        framePrefix: Array(#"{"type":"response_chunk""#.utf8), key: Array(#""content":"t="#.utf8))
}

/// Counters every load connection adds to.
final class LoadCounters: Sendable {
    let frames = Atomic<Int>(0)
    /// `complete` frames: agent streams that ended.
    let completes = Atomic<Int>(0)
    let recordsLatency: Bool
    let timestamps: TimestampFormat
    private let latencies = Mutex<[Int]>([])

    init(recordsLatency: Bool, timestamps: TimestampFormat = .field) {
        self.recordsLatency = recordsLatency
        self.timestamps = timestamps
    }

    func record(_ samples: [Int]) { latencies.withLock { $0.append(contentsOf: samples) } }

    func takeLatencies() -> [Int] { latencies.withLock { samples in defer { samples = [] }; return samples } }
}

/// One client connection: performs the upgrade, then counts text frames.
final class LoadConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let host: String
    private let path: String
    private let counters: LoadCounters
    private let upgraded: EventLoopPromise<Void>
    private var buffer: ByteBuffer?
    private var handshakeDone = false
    private var samples: [Int] = []

    init(host: String, path: String, counters: LoadCounters, upgraded: EventLoopPromise<Void>) {
        self.host = host
        self.path = path
        self.counters = counters
        self.upgraded = upgraded
    }

    func channelActive(context: ChannelHandlerContext) {
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: request)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffer == nil { buffer = incoming } else { buffer!.writeBuffer(&incoming) }
        if !handshakeDone {
            guard let view = buffer?.readableBytesView, let end = Self.headerEnd(view) else { return }
            let head = buffer!.readString(length: end - view.startIndex + 4) ?? ""
            guard head.hasPrefix("HTTP/1.1 101") else {
                upgraded.fail(LoadError.refused(String(head.prefix(40))))
                context.close(promise: nil)
                return
            }
            handshakeDone = true
            upgraded.succeed()
        }
        var frames = 0
        let now = counters.recordsLatency ? monotonicNanoseconds() : 0
        while var readable = buffer, readable.readableBytes >= 2 {
            let first = readable.readInteger(as: UInt8.self)!
            var length = Int(readable.readInteger(as: UInt8.self)! & 0x7F)
            if length == 126 {
                guard let extended = readable.readInteger(as: UInt16.self) else { break }
                length = Int(extended)
            } else if length == 127 {
                guard let extended = readable.readInteger(as: UInt64.self) else { break }
                length = Int(extended)
            }
            guard readable.readableBytes >= length else { break }
            if first & 0x0F == 0x1 {
                frames += 1
                if readable.readableBytesView.starts(with: Self.completePrefix) {
                    counters.completes.add(1, ordering: .relaxed)
                }
                if counters.recordsLatency,
                    let sent = readable.withUnsafeReadableBytes({
                        Self.timestamp(in: UnsafeRawBufferPointer(rebasing: $0.prefix(length)), counters.timestamps)
                    })
                {
                    samples.append(now - sent)
                }
            }
            readable.moveReaderIndex(forwardBy: length)
            buffer = readable
        }
        if buffer?.readableBytes == 0 { buffer = nil }
        if frames > 0 { counters.frames.add(frames, ordering: .relaxed) }
        if samples.count >= 256 {
            counters.record(samples)
            samples.removeAll(keepingCapacity: true)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        upgraded.fail(LoadError.closed)
        flushSamples()
    }

    func flushSamples() {
        if !samples.isEmpty { counters.record(samples) }
        samples = []
    }

    private static func headerEnd(_ view: ByteBufferView) -> Int? {
        var index = view.startIndex
        while index + 3 < view.endIndex {
            if view[index] == 13, view[index + 1] == 10, view[index + 2] == 13, view[index + 3] == 10 { return index }
            index += 1
        }
        return nil
    }

    private static let completePrefix = Array(#"{"type":"complete""#.utf8)

    /// The integer after the format's key in a payload, when the payload is of the format's kind.
    ///
    /// A plain byte loop: `firstRange(of:)` on a `ByteBufferView` runs Foundation's generic
    /// search, which cost the chat benchmark's client more than the rest of its frame handling.
    private static func timestamp(in payload: UnsafeRawBufferPointer, _ format: TimestampFormat) -> Int? {
        let prefix = format.framePrefix
        let key = format.key
        guard payload.count >= prefix.count + key.count else { return nil }
        for index in 0..<prefix.count where payload[index] != prefix[index] { return nil }
        var start = prefix.count
        var found = false
        while start + key.count <= payload.count {
            var matched = 0
            while matched < key.count, payload[start + matched] == key[matched] { matched += 1 }
            if matched == key.count {
                found = true
                break
            }
            start += 1
        }
        guard found else { return nil }
        var value = 0
        var index = start + key.count
        while index < payload.count, payload[index] >= 48, payload[index] <= 57 {
            value = value * 10 + Int(payload[index] - 48)
            index += 1
        }
        return value
    }
}

enum LoadError: Error {
    case refused(String)
    case closed
}

/// Encodes a client text frame; the mask key is zero, so the payload goes as is (still a
/// masked frame, as RFC 6455 requires from clients).
func clientTextFrame(_ text: String, into buffer: inout ByteBuffer) {
    let payload = Array(text.utf8)
    buffer.writeInteger(UInt8(0x81))
    if payload.count < 126 {
        buffer.writeInteger(UInt8(0x80 | payload.count))
    } else {
        buffer.writeInteger(UInt8(0x80 | 126))
        buffer.writeInteger(UInt16(payload.count))
    }
    buffer.writeInteger(UInt32(0))
    buffer.writeBytes(payload)
}

/// A set of load connections to one server.
struct LoadClients {
    let channels: [any Channel]
    let counters: LoadCounters

    static func connect(
        count: Int,
        port: Int,
        path: String = "/ws",
        group: any EventLoopGroup,
        counters: LoadCounters
    ) async throws -> LoadClients {
        var channels: [any Channel] = []
        channels.reserveCapacity(count)
        for _ in 0..<count {
            let promise = group.next().makePromise(of: Void.self)
            let channel = try await ClientBootstrap(group: group)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            LoadConnectionHandler(host: "127.0.0.1", path: path, counters: counters, upgraded: promise)
                        )
                    }
                }
                .connect(host: "127.0.0.1", port: port).get()
            try await promise.futureResult.get()
            channels.append(channel)
        }
        return LoadClients(channels: channels, counters: counters)
    }

    /// Sends `text` on every connection.
    func sendToAll(_ text: String) {
        for channel in channels {
            var buffer = channel.allocator.buffer(capacity: text.utf8.count + 8)
            clientTextFrame(text, into: &buffer)
            channel.writeAndFlush(buffer, promise: nil)
        }
    }

    func close() async {
        for channel in channels { try? await channel.close() }
    }
}
