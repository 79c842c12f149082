import Foundation
import StreamingApplication
import StreamingDomain
import StreamingOpenAI
import StreamingTestSupport
import Synchronization
import Testing

/// The provider against a small in-test server, for what a real server does not do on
/// demand: cut a stream, stall, ask to retry later, send a broken line.
@Suite("OpenAIProvider over HTTP")
struct OpenAIProviderHTTPTests {
    static let key = "sk-test-SECRET-0123456789"

    static func chunk(_ content: String) -> String {
        #"data: {"choices":[{"index":0,"delta":{"content":"\#(content)"},"finish_reason":null}]}"# + "\n\n"
    }
    static let finish = #"data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"# + "\n\n"
    static let usage = #"data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"# + "\n\n"
    static let done = "data: [DONE]\n\n"

    static func provider(_ baseURL: String, idleTimeout: Duration = .seconds(10), clock: RecordingClock = RecordingClock(), retries: Int = 3)
        -> OpenAIProvider
    {
        OpenAIProvider(
            configuration: .init(baseURL: baseURL, apiKey: key, idleTimeout: idleTimeout, retry: RetryPolicy(maxRetries: retries)),
            clock: clock
        )
    }

    static let request = ModelRequest(
        model: "gpt-test",
        messages: [.system("Be brief."), .user("Hi"), .assistant("", toolCalls: [ToolCall(id: "c1", name: "t", arguments: "{}")]), .tool(toolCallID: "c1", content: "ok")],
        tools: [ToolDefinition(name: "t", description: "A tool.", parameters: ["type": "object"])],
        settings: ModelSettings(temperature: 0.5)
    )

    /// Runs `body` with a provider against a server answering with `script`, then shuts the provider down.
    static func withProvider<Result: Sendable>(
        idleTimeout: Duration = .seconds(10),
        clock: RecordingClock = RecordingClock(),
        retries: Int = 3,
        _ script: @escaping ScriptedHTTPServer.Script,
        _ body: (OpenAIProvider, ScriptedHTTPServer) async throws -> Result
    ) async throws -> Result {
        try await ScriptedHTTPServer.run(script) { server, url in
            let provider = provider(url, idleTimeout: idleTimeout, clock: clock, retries: retries)
            do {
                let result = try await body(provider, server)
                try await provider.shutdown()
                return result
            } catch {
                try await provider.shutdown()
                throw error
            }
        }
    }

    static func collect(_ stream: ModelResponseStream) async throws -> [ModelDelta] {
        var deltas: [ModelDelta] = []
        for try await delta in stream { deltas.append(delta) }
        return deltas
    }

    @Test("posts the request as the protocol defines it, with the key only in Authorization, and streams the answer")
    func requestAndStream() async throws {
        let deltas = try await Self.withProvider({ _, writer in
            try await writer.startStream()
            try await writer.chunk(Self.chunk("Hel") + Self.chunk("lo"))
            try await writer.chunk(Self.finish + Self.usage + Self.done)
            try await writer.endStream()
        }) { provider, server in
            let deltas = try await Self.collect(try await provider.stream(Self.request))
            let request = try #require(server.received.first)
            #expect(request.method == "POST")
            #expect(request.path == "/v1/chat/completions")
            #expect(request.headers["authorization"] == "Bearer \(Self.key)")
            #expect(request.headers["content-type"] == "application/json")
            #expect(!request.body.contains(Self.key))
            let body = try JSONDecoder().decode(JSONValue.self, from: Data(request.body.utf8))
            #expect(body["stream"] == true)
            #expect(body["stream_options"] == ["include_usage": true])
            #expect(body["temperature"] == 0.5)
            #expect(body["max_tokens"] == nil)
            #expect(body["tools"] == [["type": "function", "function": ["name": "t", "description": "A tool.", "parameters": ["type": "object"]]]])
            #expect(body["messages"] == [
                ["role": "system", "content": "Be brief."],
                ["role": "user", "content": "Hi"],
                ["role": "assistant", "content": nil, "tool_calls": [["id": "c1", "type": "function", "function": ["name": "t", "arguments": "{}"]]]],
                ["role": "tool", "tool_call_id": "c1", "content": "ok"],
            ])
            return deltas
        }
        #expect(deltas == [.text("Hel"), .text("lo"), .finish(.stop), .usage(Usage(promptTokens: 3, completionTokens: 2))])
    }

    @Test("a non-2xx answer is a provider error with OpenAI's message, without the key")
    func errorStatus() async throws {
        try await Self.withProvider({ _, writer in
            try await writer.respond(
                status: "401 Unauthorized",
                headers: ["content-type": "application/json"],
                body: #"{"error":{"message":"Incorrect API key provided: \#(Self.key)","type":"invalid_request_error"}}"#
            )
        }) { provider, server in
            await #expect(throws: StreamingError.provider(status: 401, message: "Incorrect API key provided: [redacted]")) {
                _ = try await provider.stream(Self.request)
            }
            #expect(server.received.count == 1)
        }
    }

    @Test("429 and 5xx before the first byte are retried, honouring Retry-After, then succeed")
    func retriesThenSucceeds() async throws {
        let attempts = Mutex(0)
        let clock = RecordingClock()
        let deltas = try await Self.withProvider(clock: clock, { _, writer in
            let attempt = attempts.withLock { $0 += 1; return $0 }
            switch attempt {
            case 1: try await writer.respond(status: "429 Too Many Requests", headers: ["retry-after": "2"], body: #"{"error":{"message":"slow down"}}"#)
            case 2: try await writer.respond(status: "503 Service Unavailable", body: "busy")
            default:
                try await writer.startStream()
                try await writer.chunk(Self.chunk("ok") + Self.finish + Self.done)
                try await writer.endStream()
            }
        }) { provider, _ in try await Self.collect(try await provider.stream(Self.request)) }
        #expect(deltas == [.text("ok"), .finish(.stop)])
        #expect(attempts.withLock { $0 } == 3)
        let sleeps = clock.sleeps
        #expect(sleeps.count == 2)
        #expect(sleeps.first == .seconds(2))
        // The second wait is full jitter under the second retry's cap (2 × 500 ms).
        #expect(sleeps.last! >= .zero && sleeps.last! <= .seconds(1))
    }

    @Test("Retry-After as an HTTP date and OpenAI's retry-after-ms are honoured")
    func retryAfterForms() async throws {
        let attempts = Mutex(0)
        let clock = RecordingClock()
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let inThirtySeconds = formatter.string(from: Date().addingTimeInterval(30))
        _ = try await Self.withProvider(clock: clock, { _, writer in
            let attempt = attempts.withLock { $0 += 1; return $0 }
            switch attempt {
            case 1: try await writer.respond(status: "503 Service Unavailable", headers: ["retry-after": inThirtySeconds], body: "")
            case 2: try await writer.respond(status: "429 Too Many Requests", headers: ["retry-after-ms": "250"], body: "")
            default:
                try await writer.startStream()
                try await writer.chunk(Self.finish + Self.done)
                try await writer.endStream()
            }
        }) { provider, _ in try await Self.collect(try await provider.stream(Self.request)) }
        let sleeps = clock.sleeps
        #expect(sleeps.count == 2)
        // Whole seconds in the date, and a loaded machine, leave some slack below 30 s.
        #expect(sleeps[0] > .seconds(20) && sleeps[0] <= .seconds(30))
        #expect(sleeps[1] == .milliseconds(250))
    }

    @Test("retries stop at the configured count and report the last status")
    func retriesExhausted() async throws {
        let clock = RecordingClock()
        try await Self.withProvider(clock: clock, retries: 2, { _, writer in
            try await writer.respond(status: "500 Internal Server Error", body: #"{"error":{"message":"boom"}}"#)
        }) { provider, server in
            await #expect(throws: StreamingError.provider(status: 500, message: "boom")) {
                _ = try await provider.stream(Self.request)
            }
            #expect(server.received.count == 3)
        }
        #expect(clock.sleeps.count == 2)
    }

    @Test("a 4xx other than 429 is not retried")
    func noRetryOnClientError() async throws {
        try await Self.withProvider({ _, writer in
            try await writer.respond(status: "400 Bad Request", body: #"{"error":{"message":"bad model"}}"#)
        }) { provider, server in
            await #expect(throws: StreamingError.provider(status: 400, message: "bad model")) {
                _ = try await provider.stream(Self.request)
            }
            #expect(server.received.count == 1)
        }
    }

    @Test("a connection dropped mid-stream is a connection error, not a short answer")
    func droppedMidStream() async throws {
        try await Self.withProvider({ _, writer in
            // The head and one chunk, then the connection closes with no last chunk: the body is cut.
            let body = Self.chunk("partial")
            try await writer.send(
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                    + String(body.utf8.count, radix: 16) + "\r\n" + body + "\r\n",
                thenCut: true
            )
        }) { provider, _ in
            var received: [ModelDelta] = []
            do {
                for try await delta in try await provider.stream(Self.request) { received.append(delta) }
                Issue.record("the stream ended without an error")
            } catch let error as StreamingError {
                guard case .connection = error else {
                    Issue.record("expected a connection error, got \(error)")
                    return
                }
            }
            #expect(received == [.text("partial")])
        }
    }

    @Test("a body that ends cleanly before [DONE] and any finish reason is a connection error")
    func endsBeforeDone() async throws {
        _ = try await Self.withProvider({ _, writer in
            try await writer.startStream()
            try await writer.chunk(Self.chunk("partial"))
            try await writer.endStream()
        }) { provider, _ in
            await #expect(throws: StreamingError.connection("the stream ended before [DONE]")) {
                _ = try await Self.collect(try await provider.stream(Self.request))
            }
        }
    }

    @Test("no bytes for the idle timeout is a timeout; the bytes before the silence are delivered")
    func stall() async throws {
        // The idle timer runs from the moment the request is sent, on the event loop, while
        // this script runs on the cooperative pool: at the start of a parallel suite on two
        // cores the script has been seen to wait a second before its first write. Three
        // seconds of idle timeout keep the test about the silence after "first", not about
        // scheduling; the head and the first chunk go out in one write.
        let idle = Duration.seconds(3)
        try await Self.withProvider(idleTimeout: idle, { _, writer in
            try await writer.write(ResponseWriter.streamHead() + ResponseWriter.chunkBytes(Self.chunk("first")))
            _ = await writer.waitForClientClose(timeout: .seconds(20))
        }) { provider, _ in
            let started = ContinuousClock.now
            var received: [ModelDelta] = []
            do {
                for try await delta in try await provider.stream(Self.request) { received.append(delta) }
                Issue.record("the stream ended without an error")
            } catch let error as StreamingError {
                guard case .timeout = error else {
                    Issue.record("expected a timeout, got \(error)")
                    return
                }
            }
            #expect(received == [.text("first")])
            // Not before the idle timeout has passed, and not long after it.
            let elapsed = started.duration(to: .now)
            #expect(elapsed >= idle)
            #expect(elapsed < idle + .seconds(5))
        }
    }

    @Test("an unparseable data line is a protocol error that names the line")
    func malformedLine() async throws {
        try await Self.withProvider({ _, writer in
            try await writer.startStream()
            try await writer.chunk(Self.chunk("fine") + "data: {this is not json}\n\n")
            try await writer.endStream()
        }) { provider, _ in
            do {
                _ = try await Self.collect(try await provider.stream(Self.request))
                Issue.record("no error")
            } catch let StreamingError.protocol(message) {
                #expect(message.contains("{this is not json}"))
            }
        }
    }

    @Test("cancelling the consuming task closes the HTTP request; the server sees the connection close")
    func cancellationClosesConnection() async throws {
        let firstDelta = Flag()
        try await Self.withProvider({ _, writer in
            try await writer.startStream()
            try await writer.chunk(Self.chunk("first"))
            let closed = await writer.waitForClientClose(timeout: .seconds(10))
            // The script's own note: the test below waits for it.
            if closed { throw ClientClosed() }
        }) { provider, server in
            let consumer = Task {
                for try await _ in try await provider.stream(Self.request) {
                    firstDelta.set()
                }
            }
            try await waitUntil("the first delta") { firstDelta.isSet }
            consumer.cancel()
            _ = await consumer.result
            try await waitUntil("the server to see the client close") {
                server.log.contains { $0.contains("ClientClosed") }
            }
        }
    }

    struct ClientClosed: Error {}
}
