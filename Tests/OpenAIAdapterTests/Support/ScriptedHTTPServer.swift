import NIOCore
import NIOPosix
import Synchronization

/// A request as the scripted server received it.
struct RecordedRequest: Sendable {
    var method: String
    var path: String
    /// Header names lower-cased.
    var headers: [String: String]
    var body: String
}

/// What a script uses to answer: raw bytes, so a test can break HTTP the way a real
/// network does (cut a stream, stall, send a malformed line).
final class ResponseWriter {
    private let channel: any Channel
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator

    init(
        channel: any Channel,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    ) {
        self.channel = channel
        self.outbound = outbound
        self.inbound = inbound
    }

    func write(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    /// The head of a streamed (chunked) answer.
    func startStream(status: String = "200 OK", contentType: String = "text/event-stream") async throws {
        try await write(Self.streamHead(status: status, contentType: contentType))
    }

    /// One chunk of a chunked body.
    func chunk(_ text: String) async throws {
        try await write(Self.chunkBytes(text))
    }

    /// The text of ``startStream(status:contentType:)``, to send with more in one write.
    static func streamHead(status: String = "200 OK", contentType: String = "text/event-stream") -> String {
        "HTTP/1.1 \(status)\r\ncontent-type: \(contentType)\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    }

    /// The text of ``chunk(_:)``, to send with more in one write.
    static func chunkBytes(_ text: String) -> String {
        String(text.utf8.count, radix: 16) + "\r\n" + text + "\r\n"
    }

    /// The end of a chunked body.
    func endStream() async throws {
        try await write("0\r\n\r\n")
    }

    /// A whole answer with a fixed-length body.
    func respond(status: String, headers: [String: String] = [:], body: String) async throws {
        var head = "HTTP/1.1 \(status)\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        try await write(head + "\r\n" + body)
    }

    /// Sends `text` straight to the socket and closes the connection right after it:
    /// written this way, not through the async writer, so the close cannot overtake it.
    func send(_ text: String, thenCut: Bool) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
        if thenCut { try await channel.close() }
    }

    /// Waits until the client closes the connection; `false` if it has not after `timeout`.
    func waitForClientClose(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            do {
                if try await inbound.next() == nil { return true }
            } catch {
                return true
            }
        }
        return false
    }
}

/// A loopback HTTP/1.1 server whose every connection is answered by a script.
final class ScriptedHTTPServer: Sendable {
    typealias Script = @Sendable (RecordedRequest, ResponseWriter) async throws -> Void

    private let requests = Mutex<[RecordedRequest]>([])
    private let events = Mutex<[String]>([])

    var received: [RecordedRequest] { requests.withLock { $0 } }
    /// Things the server saw, such as "client closed", in order.
    var log: [String] { events.withLock { $0 } }

    func note(_ event: String) {
        events.withLock { $0.append(event) }
    }

    /// Runs `body` with the server's base URL (`http://127.0.0.1:PORT/v1`), then stops it.
    static func run<Result: Sendable>(
        _ script: @escaping Script,
        _ body: (ScriptedHTTPServer, String) async throws -> Result
    ) async throws -> Result {
        let server = ScriptedHTTPServer()
        let channel = try await ServerBootstrap(group: NIOSingletons.posixEventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { child in
                child.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: child)
                }
            }
        let port = channel.channel.localAddress!.port!
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await channel.executeThenClose { connections in
                    try await withThrowingTaskGroup(of: Void.self) { handlers in
                        for try await connection in connections {
                            handlers.addTask { await server.serve(connection, script) }
                        }
                    }
                }
            }
            defer { group.cancelAll() }
            let result = try await body(server, "http://127.0.0.1:\(port)/v1")
            try await channel.channel.close()
            return result
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, _ script: Script) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var iterator = inbound.makeAsyncIterator()
                var buffer = ByteBuffer()
                var request: RecordedRequest?
                while request == nil {
                    guard let chunk = try await iterator.next() else { return }
                    buffer.writeImmutableBuffer(chunk)
                    request = Self.parse(buffer)
                }
                requests.withLock { $0.append(request!) }
                let writer = ResponseWriter(channel: connection.channel, outbound: outbound, inbound: iterator)
                try await script(request!, writer)
            }
        } catch {
            note("connection error: \(error)")
        }
    }

    /// A complete request in `buffer`, or `nil` while more bytes are needed.
    private static func parse(_ buffer: ByteBuffer) -> RecordedRequest? {
        let text = String(buffer: buffer)
        guard let headEnd = text.firstRange(of: "\r\n\r\n") else { return nil }
        let lines = text[..<headEnd.lowerBound].split(separator: "\r\n")
        let requestLine = lines.first?.split(separator: " ") ?? []
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingPrefix(" ").description
        }
        let body = String(text[headEnd.upperBound...])
        let expected = Int(headers["content-length"] ?? "0") ?? 0
        guard body.utf8.count >= expected else { return nil }
        return RecordedRequest(
            method: requestLine.first.map(String.init) ?? "",
            path: requestLine.dropFirst().first.map(String.init) ?? "",
            headers: headers,
            body: body
        )
    }
}
