import StreamingApplication
import StreamingDomain
import StreamingTestSupport
import Testing

@testable import StreamingWebSocket

/// The client's state machine without a network: handshakes, replies, and exactly-once,
/// gap-free agent streams.
@Suite struct ClientCoreTests {
    /// A core with one open connection, and helpers to drive it.
    struct Harness {
        var core = ClientCore(maxQueuedMessages: 4, token: nil)
        var effects: [ClientEffect] = []
        let wake = AsyncStream<Void>.makeStream().continuation

        mutating func open() { core.opened(wake: wake, &effects) }
        mutating func lose() { core.lost(&effects) }

        /// Every frame the writer would send now.
        mutating func written() -> [String] {
            var frames: [String] = []
            while let (_, text) = core.nextFrame() { frames.append(text) }
            return frames
        }

        mutating func receive(_ text: String) throws {
            core.receive(try ServerMessage(text: text), &effects)
        }

        mutating func startStream(_ id: String) throws -> AsyncThrowingStream<AgentStreamEvent, any Error> {
            let (stream, continuation) = AsyncThrowingStream<AgentStreamEvent, any Error>.makeStream()
            try core.startStream(id: id, agent: "assistant", input: "Hi", continuation: continuation, &effects)
            return stream
        }

        /// Performs the pending stream effects (deliveries and ends).
        mutating func flush() {
            for effect in effects {
                switch effect {
                case .deliver(let continuation, let event): continuation.yield(event)
                case .finish(let continuation, let error):
                    if let error { continuation.finish(throwing: error) } else { continuation.finish() }
                default: break
                }
            }
            effects.removeAll()
        }
    }

    static func chunk(_ id: String, _ seq: Int) -> String {
        StreamEvent(seq: seq, kind: .content("<\(seq)>")).jsonText(streamID: id)
    }

    static func contents(_ stream: AsyncThrowingStream<AgentStreamEvent, any Error>) async throws -> [String] {
        var texts: [String] = []
        for try await event in stream { texts.append(event.content ?? "") }
        return texts
    }

    @Test func sequencerDeliversEachSeqOnceInOrder() {
        var sequencer = StreamSequencer()
        #expect(sequencer.accept(1) == .deliver)
        #expect(sequencer.accept(1) == .duplicate)
        #expect(sequencer.accept(3) == .gap)
        #expect(sequencer.lastDelivered == 1)
        #expect(sequencer.accept(2) == .deliver)
        #expect(sequencer.accept(3) == .deliver)
        #expect(sequencer.accept(0) == .duplicate)
        #expect(sequencer.lastDelivered == 3)
    }

    @Test func handshakeAuthenticatesThenSubscribesThenStartsAndResumes() throws {
        var harness = Harness()
        harness.core.token = "secret"
        _ = try harness.core.begin(.subscribe("a"), &harness.effects)
        _ = try harness.core.begin(.subscribe("b"), &harness.effects)
        try harness.core.send(ClientFrame.publish(channel: "a", data: 1), &harness.effects)
        _ = try harness.startStream("s1")
        // Offline: nothing but the publish is queued.
        #expect(harness.core.outbox.count == 1)
        harness.open()
        #expect(
            harness.written() == [
                ClientFrame.auth(token: "secret"), ClientFrame.subscribe("a"), ClientFrame.subscribe("b"),
                ClientFrame.agentStream(id: "s1", agent: "assistant", input: "Hi"),
                ClientFrame.publish(channel: "a", data: 1),
            ])
        try harness.receive(Self.chunk("s1", 1))
        harness.lose()
        harness.open()
        // The started stream resumes after the last seq it delivered.
        #expect(
            harness.written() == [
                ClientFrame.auth(token: "secret"), ClientFrame.subscribe("a"), ClientFrame.subscribe("b"),
                ClientFrame.resume(id: "s1", afterSeq: 1),
            ])
    }

    @Test func requestsQueuedOnALostConnectionAreNotSentTwice() throws {
        var harness = Harness()
        harness.open()
        _ = harness.written()
        _ = try harness.core.begin(.subscribe("a"), &harness.effects)
        _ = try harness.startStream("s1")
        try harness.core.send("{\"type\":\"publish\",\"channel\":\"a\",\"data\":2}", &harness.effects)
        harness.lose()
        harness.open()
        #expect(
            harness.written() == [
                ClientFrame.subscribe("a"), ClientFrame.agentStream(id: "s1", agent: "assistant", input: "Hi"),
                "{\"type\":\"publish\",\"channel\":\"a\",\"data\":2}",
            ])
    }

    @Test func duplicatesAreDroppedAndGapsResume() async throws {
        var harness = Harness()
        harness.open()
        let stream = try harness.startStream("s1")
        _ = harness.written()
        try harness.receive(Self.chunk("s1", 1))
        try harness.receive(Self.chunk("s1", 2))
        try harness.receive(Self.chunk("s1", 2))  // duplicate
        try harness.receive(Self.chunk("s1", 4))  // gap: 3 is missing
        #expect(harness.written() == [ClientFrame.resume(id: "s1", afterSeq: 2)])
        try harness.receive(Self.chunk("s1", 5))  // still missing 3: no second resume
        #expect(harness.written().isEmpty)
        try harness.receive(ServerFrame.resumed(id: "s1", afterSeq: 2, lastSeq: 5, finished: false).text)
        for seq in 3...5 { try harness.receive(Self.chunk("s1", seq)) }
        let complete = StreamEvent(
            seq: 6,
            kind: .complete(
                RunResult(messages: [], finalOutput: "done", lastAgent: Agent(name: "assistant"), usage: .zero, turns: 1)))
        try harness.receive(complete.jsonText(streamID: "s1"))
        try harness.receive(Self.chunk("s1", 6))  // after the end: not for this stream any more
        harness.flush()
        var texts: [String] = []
        for try await event in stream { texts.append(event.content ?? "complete") }
        #expect(texts == ["<1>", "<2>", "<3>", "<4>", "<5>", "complete"])
        #expect(harness.core.streams.isEmpty)
    }

    @Test func missedNoticeResumesEveryStream() throws {
        var harness = Harness()
        harness.open()
        _ = try harness.startStream("s1")
        _ = try harness.startStream("s2")
        _ = harness.written()
        try harness.receive(Self.chunk("s1", 1))
        try harness.receive(ServerFrame.missed(2).text)
        #expect(harness.written() == [ClientFrame.resume(id: "s1", afterSeq: 1), ClientFrame.resume(id: "s2", afterSeq: 0)])
        // The notice still reaches onMessage.
        #expect(harness.effects.contains { if case .message(.missed(2)) = $0 { true } else { false } })
    }

    @Test func errorFrameEndsTheStreamInOrder() async throws {
        var harness = Harness()
        harness.open()
        let stream = try harness.startStream("s1")
        _ = harness.written()
        try harness.receive(Self.chunk("s1", 1))
        let cancelled = ServerFrame.error(ProtocolFailure(.cancelled, "the stream was cancelled", streamID: "s1"), seq: 3)
        try harness.receive(cancelled.text)  // seq 2 missing: resume first
        #expect(harness.written() == [ClientFrame.resume(id: "s1", afterSeq: 1)])
        try harness.receive(Self.chunk("s1", 2))
        try harness.receive(cancelled.text)
        harness.flush()
        await #expect(throws: StreamingError.cancelled) { _ = try await Self.contents(stream) }
    }

    @Test func unknownStreamOnResumeIsStartedOnce() async throws {
        var harness = Harness()
        harness.open()
        let stream = try harness.startStream("s1")
        #expect(harness.written() == [ClientFrame.agentStream(id: "s1", agent: "assistant", input: "Hi")])
        // Lost before the server saw it: the reconnect resumes, the server does not know it.
        harness.lose()
        harness.open()
        #expect(harness.written() == [ClientFrame.resume(id: "s1", afterSeq: 0)])
        let unknown = ServerFrame.error(ProtocolFailure(.notFound, "no stream \"s1\"", streamID: "s1"), requestType: "resume")
        try harness.receive(unknown.text)
        #expect(harness.written() == [ClientFrame.agentStream(id: "s1", agent: "assistant", input: "Hi")])
        // A second not_found is final.
        harness.lose()
        harness.open()
        _ = harness.written()
        try harness.receive(unknown.text)
        harness.flush()
        await #expect(throws: StreamingError.notFound("no stream \"s1\"")) { _ = try await Self.contents(stream) }
    }

    @Test func repliesSettleTheirRequests() throws {
        var harness = Harness()
        harness.open()
        let subscribe = try #require(try harness.core.begin(.subscribe("a"), &harness.effects))
        let auth = try #require(try harness.core.begin(.auth, &harness.effects))
        try harness.receive(ServerFrame.subscribed("a").text)
        #expect(harness.core.requests.first { $0.id == subscribe }?.result == .success(nil))
        try harness.receive(ServerFrame.error(ProtocolFailure(.unauthorized, "the token was refused"), requestType: "auth").text)
        #expect(harness.core.requests.first { $0.id == auth }?.result == .failure(.unauthorized("the token was refused")))
        // Unmatched replies go to onMessage.
        harness.effects.removeAll()
        try harness.receive(ServerFrame.subscribed("zzz").text)
        #expect(harness.effects.count == 1)
        // Offline, an unsubscribe needs no reply; online, a lost connection settles it.
        let unsubscribe = try #require(try harness.core.begin(.unsubscribe("a"), &harness.effects))
        harness.lose()
        #expect(harness.core.requests.first { $0.id == unsubscribe }?.result == .success(nil))
        #expect(try harness.core.begin(.unsubscribe("b"), &harness.effects) == nil)
        #expect(harness.core.channels.isEmpty)
    }

    @Test func refusedSubscriptionIsNotRenewed() throws {
        var harness = Harness()
        harness.open()
        _ = try harness.core.begin(.subscribe("a"), &harness.effects)
        _ = try harness.core.begin(.subscribe("b"), &harness.effects)
        _ = harness.written()
        try harness.receive(ServerFrame.subscribed("a").text)
        let busy = ProtocolFailure(.serverBusy, "at most 1 channels per connection")
        try harness.receive(ServerFrame.error(busy, requestType: "subscribe").text)
        #expect(harness.core.channels == ["a"])
        #expect(
            harness.core.requests.map(\.result) == [
                .success(nil), .failure(.serverBusy("at most 1 channels per connection")),
            ])
        harness.lose()
        harness.open()
        #expect(harness.written() == [ClientFrame.subscribe("a")])
    }

    @Test func outboxIsBounded() throws {
        var harness = Harness()
        for index in 0..<4 { try harness.core.send("\(index)", &harness.effects) }
        #expect(throws: StreamingError.queueFull(capacity: 4)) { try harness.core.send("4", &harness.effects) }
        harness.open()
        #expect(harness.written() == ["0", "1", "2", "3"])
        try harness.core.send("5", &harness.effects)
    }

    @Test func boundedQueueKeepsOrderAcrossCompaction() {
        var queue = BoundedQueue<Int>(capacity: 1000)
        var expected: [Int] = []
        for round in 0..<10 {
            for value in 0..<150 {
                let appended = queue.append(round * 1000 + value)
                #expect(appended)
            }
            for _ in 0..<100 { expected.append(queue.popFirst()!) }
        }
        while let value = queue.popFirst() { expected.append(value) }
        #expect(expected == (0..<10).flatMap { round in (0..<150).map { round * 1000 + $0 } })
        queue.forceAppend(1)
        queue.pushFront(0)
        queue.removeAll { $0 == 1 }
        #expect(Array(queue.elements) == [0])
    }

    @Test func reconnectPolicyDrawsWithinTheCappedCeiling() {
        let policy = WebSocketClient.ReconnectPolicy.exponential(
            maxAttempts: 5, initialDelay: .milliseconds(100), maxDelay: .milliseconds(700))
        var random = SplitMix64(seed: 0x5EED)
        for attempt in 1...8 {
            let ceiling = min(Duration.milliseconds(100) * (1 << (attempt - 1)), .milliseconds(700))
            for _ in 0..<200 {
                let delay = policy.delay(beforeAttempt: attempt, using: &random)
                #expect(delay >= .zero && delay <= ceiling)
            }
        }
        #expect(policy.allows(attempt: 5))
        #expect(!policy.allows(attempt: 6))
        #expect(!WebSocketClient.ReconnectPolicy.disabled.allows(attempt: 1))
        #expect(WebSocketClient.ReconnectPolicy.exponential(maxAttempts: nil).allows(attempt: 1_000_000))
    }
}
