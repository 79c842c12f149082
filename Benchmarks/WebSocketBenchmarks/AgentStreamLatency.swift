// Model-yield to client-receive latency of agent streams through the production server
// (RealtimeServer with the default pipeline), on WebSocket and on SSE: `streams` clients each
// start one stream of a paced model (`rate` tokens a second, each stamped `t=<ns>;` with the
// monotonic clock as it is yielded); each client reads the stamp back when the frame arrives.
import Foundation
import NIOCore
import NIOPosix
import RAAFStreaming
import Synchronization

enum AgentStreamLatency {
    /// A production server over a paced model, for one measurement.
    static func withServer<Result>(
        tokens: Int, rate: Int, coalesce: Duration = .zero, _ body: (_ port: Int) async throws -> Result
    ) async throws -> Result {
        let system = try Streaming.configure(environment: [:], provider: PacedModelProvider(chunks: tokens, rate: rate)) {
            $0.streaming.coalesceInterval = coalesce
            $0.websocket.maxConnections = 20_000
            $0.websocket.messagesPerMinute = 1_000_000
            $0.websocket.heartbeatInterval = .seconds(300)
            $0.logging.level = .error
        }
        let server = try RealtimeServer(
            system: system, host: "127.0.0.1", port: 0, chatStore: InMemoryChatStore(), handlesSignals: false)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await server.run() }
            defer { tasks.cancelAll() }
            try await FanOut.waitFor { server.port != nil }
            let result = try await body(server.port!)
            await server.shutdown()
            try await tasks.waitForAll()
            return result
        }
    }

    struct WebSocketResult {
        /// Yield-to-receive latency of every token, in nanoseconds (a coalesced frame counts once).
        var latencies: [Int]
        /// `response_chunk` and `complete` frames received.
        var frames: Int
        /// CPU of this process but the load clients' event loop, over the streams.
        var serverCPU: CPUTime
    }

    /// WebSocket: every client sends `agent_stream` and reads every frame up to `complete`.
    static func webSocket(port: Int, streams: Int, tokens: Int, group: any EventLoopGroup) async throws -> WebSocketResult {
        let counters = LoadCounters(recordsLatency: true, timestamps: .responseChunk)
        let clients = try await LoadClients.connect(count: streams, port: port, group: group, counters: counters)
        try await FanOut.waitFor { counters.frames.load(ordering: .relaxed) >= streams }  // connected
        counters.frames.store(0, ordering: .relaxed)
        let serverCPU = { ProcFS.processCPU() - ProcFS.threadsCPU(prefix: "NIO-ELT") }
        let startCPU = serverCPU()
        clients.sendToAll(#"{"type":"agent_stream","agent":"assistant","input":"go"}"#)
        // Every stream ends with `complete`, whose content holds every stamp: wait for the last.
        try await FanOut.waitFor(timeout: .seconds(300)) { counters.completes.load(ordering: .relaxed) >= streams }
        let cpu = serverCPU() - startCPU
        for channel in clients.channels {
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.handler(type: LoadConnectionHandler.self).flushSamples()
            }.get()
        }
        await clients.close()
        return WebSocketResult(latencies: counters.takeLatencies(), frames: counters.frames.load(ordering: .relaxed), serverCPU: cpu)
    }

    /// SSE: every client POSTs `/v1/agents/assistant/stream` and reads the event stream.
    static func serverSentEvents(port: Int, streams: Int, tokens: Int, group: any EventLoopGroup) async throws -> [Int] {
        let counters = SSECounters()
        var channels: [any Channel] = []
        for _ in 0..<streams {
            let channel = try await ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(SSELoadHandler(port: port, counters: counters))
                    }
                }
                .connect(host: "127.0.0.1", port: port).get()
            channels.append(channel)
        }
        try await FanOut.waitFor(timeout: .seconds(300)) { counters.ended.load(ordering: .relaxed) >= streams }
        for channel in channels { try? await channel.close() }
        let samples = counters.samples.withLock { $0 }
        guard samples.count >= streams * tokens else { throw LoadError.closed }
        return samples
    }
}

/// What the SSE clients record: every token's latency, and how many streams ended.
final class SSECounters: Sendable {
    let samples = Mutex<[Int]>([])
    let ended = Atomic<Int>(0)
}

/// One SSE client: sends the POST, then scans the body for `"content":"t=<ns>` stamps.
final class SSELoadHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private static let key = Array(#""content":"t="#.utf8)
    private static let end = Array("event: complete".utf8)
    private let port: Int
    private let counters: SSECounters
    private var carry: [UInt8] = []
    private var local: [Int] = []
    private var done = false

    init(port: Int, counters: SSECounters) {
        self.port = port
        self.counters = counters
    }

    func channelActive(context: ChannelHandlerContext) {
        let body = #"{"input":"go"}"#
        let request = "POST /v1/agents/assistant/stream HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: request)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = monotonicNanoseconds()
        var bytes = carry
        bytes.append(contentsOf: unwrapInboundIn(data).readableBytesView)
        var index = 0
        var consumed = 0
        while let found = Self.find(Self.key, in: bytes, from: index) {
            var cursor = found + Self.key.count
            var value = 0
            while cursor < bytes.count, bytes[cursor] >= 0x30, bytes[cursor] <= 0x39 {
                value = value * 10 + Int(bytes[cursor] - 0x30)
                cursor += 1
            }
            guard cursor < bytes.count else { break }  // the number may go on in the next read
            local.append(now - value)
            index = cursor
            consumed = cursor
        }
        if !done, Self.find(Self.end, in: bytes, from: 0) != nil {
            done = true
            counters.samples.withLock { $0.append(contentsOf: local) }
            counters.ended.add(1, ordering: .relaxed)
        }
        carry = Array(bytes[max(consumed, bytes.count - 64)...])
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        for index in start...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
        }
        return nil
    }
}
