import RAAFStreaming
import StreamingTestSupport
import Testing

/// `provider.max_connections` and `provider.queue_timeout`: a gated model server holds every
/// answer after its first chunk, so what runs and what waits is decided by the limit alone;
/// the queue timeout runs on a manual clock.
@Suite("OpenAIProvider connection limit and queue")
struct OpenAIProviderLimitTests {
    typealias HTTP = OpenAIProviderHTTPTests

    /// Answers "Hi" at once, then holds the rest of the answer until `gate` is set.
    static func heldAnswers(_ gate: OneWaySignal) -> ScriptedHTTPServer.Script {
        { _, writer in
            try await writer.startStream()
            try await writer.chunk(HTTP.chunk("Hi"))
            await gate.wait()
            try await writer.chunk(HTTP.finish + HTTP.done)
            try await writer.endStream()
        }
    }

    static func provider(_ url: String, maxConnections: Int, queueTimeout: Duration, clock: ManualClock) -> OpenAIProvider {
        OpenAIProvider(
            configuration: .init(baseURL: url, apiKey: HTTP.key, maxConnections: maxConnections, queueTimeout: queueTimeout),
            clock: clock
        )
    }

    /// A task that streams one whole answer.
    static func answer(_ provider: OpenAIProvider) -> Task<[ModelDelta], any Error> {
        Task { try await HTTP.collect(try await provider.stream(HTTP.request)) }
    }

    static func stats(_ provider: OpenAIProvider) -> ModelRequestStats {
        provider.requestStats ?? ModelRequestStats(maxConcurrent: -1)
    }

    @Test("with 4 connections the fifth and later requests wait; past queue_timeout they fail with server_busy; a cancelled run leaves the queue, or gives its connection back, at once")
    func limitAndQueue() async throws {
        let gate = OneWaySignal()
        let clock = ManualClock()
        try await ScriptedHTTPServer.run(Self.heldAnswers(gate)) { server, url in
            let provider = Self.provider(url, maxConnections: 4, queueTimeout: .milliseconds(500), clock: clock)
            defer { gate.set() }
            let streaming = (0..<4).map { _ in Self.answer(provider) }
            try await waitUntil("four answers streaming") {
                server.received.count == 4 && Self.stats(provider).firstTokens == 4
            }
            #expect(Self.stats(provider).inFlight == 4)

            // The fifth and sixth wait; the server does not see them.
            let fifth = Self.answer(provider)
            let sixth = Self.answer(provider)
            try await waitUntil("two requests waiting") { Self.stats(provider).waiting == 2 }
            try await clock.waitForSleepers(2)
            #expect(server.received.count == 4)

            // A cancelled waiter leaves the queue at once, not at its timeout.
            sixth.cancel()
            try await waitUntil("the cancelled request to leave the queue") {
                Self.stats(provider).waiting == 1 && Self.stats(provider).cancelledWhileWaiting == 1
            }
            await #expect(throws: CancellationError.self) { try await sixth.value }

            // Past the queue timeout: the typed error, `server_busy` on the wire.
            clock.advance(by: .milliseconds(500))
            try await waitUntil("the queue timeout") { Self.stats(provider).queueTimeouts == 1 }
            let busy = await #expect(throws: StreamingError.self) { try await fifth.value }
            #expect(busy?.code == "server_busy")
            #expect(busy?.isRetryable == true)
            var stats = Self.stats(provider)
            #expect(stats.queueTimeouts == 1)
            #expect(stats.waiting == 0)
            #expect(stats.inFlight == 4)
            #expect(server.received.count == 4)

            // A run cancelled while it streams gives its connection to the next request at once.
            let seventh = Self.answer(provider)
            try await waitUntil("the seventh request waiting") { Self.stats(provider).waiting == 1 }
            streaming[0].cancel()
            try await waitUntil("the seventh request at the server") { server.received.count == 5 }
            stats = Self.stats(provider)
            #expect(stats.inFlight == 4)
            #expect(stats.waiting == 0)
            #expect(stats.waited == 1)
            #expect(stats.started == 5)

            gate.set()
            #expect(try await seventh.value.first == .text("Hi"))
            for answer in streaming.dropFirst() {
                #expect(try await answer.value == [.text("Hi"), .finish(.stop)])
            }
            try await waitUntil("every connection given back") { Self.stats(provider).inFlight == 0 }
            stats = Self.stats(provider)
            #expect(stats.firstTokens == 5)
            #expect(stats.averageTimeToFirstToken > .zero)
            try await provider.shutdown()
        }
    }

    @Test("provider.connect_timeout bounds the wait for a model server that never accepts the connection")
    func connectTimeout() async throws {
        let unreachable = try Loopback.UnacceptingPort()
        let provider = OpenAIProvider(
            configuration: .init(
                baseURL: "http://127.0.0.1:\(unreachable.port)/v1", connectTimeout: .milliseconds(300),
                retry: RetryPolicy(maxRetries: 0)))
        let started = ContinuousClock.now
        let error = await #expect(throws: StreamingError.self) { try await provider.stream(HTTP.request) }
        #expect(error?.code == "timeout", "\(String(describing: error))")
        // The default connect timeout, 10 s, would take far longer.
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(Self.stats(provider).inFlight == 0)
        try await provider.shutdown()
    }

    @Test("two providers on one model server each keep their own limit")
    func limitsArePerProvider() async throws {
        let gate = OneWaySignal()
        let clock = ManualClock()
        try await ScriptedHTTPServer.run(Self.heldAnswers(gate)) { server, url in
            let first = Self.provider(url, maxConnections: 2, queueTimeout: .seconds(30), clock: clock)
            let second = Self.provider(url, maxConnections: 3, queueTimeout: .seconds(30), clock: clock)
            defer { gate.set() }
            let answers = (0..<3).map { _ in Self.answer(first) } + (0..<4).map { _ in Self.answer(second) }
            try await waitUntil("five requests at the server, two waiting") {
                server.received.count == 5 && Self.stats(first).waiting == 1 && Self.stats(second).waiting == 1
            }
            #expect(Self.stats(first).inFlight == 2)
            #expect(Self.stats(second).inFlight == 3)
            gate.set()
            for answer in answers { #expect(try await answer.value.first == .text("Hi")) }
            #expect(server.received.count == 7)
            #expect(Self.stats(first).waited == 1)
            #expect(Self.stats(second).waited == 1)
            try await first.shutdown()
            try await second.shutdown()
        }
    }
}
