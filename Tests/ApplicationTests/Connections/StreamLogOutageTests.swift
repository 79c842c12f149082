import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Synchronization
import Testing

/// A node whose stream log becomes unreachable while it runs a stream: frames wait in a
/// bounded buffer and are written in order once the log is back; past the bound the stream
/// ends with `cluster_unavailable`. Never a silent gap.
@Suite("Agent streams while the stream log is unreachable")
struct StreamLogOutageTests {
    /// The in-memory log behind a switch that makes every append and renewal fail as an
    /// unreachable Redis does.
    final class SwitchableLog: StreamLog {
        let inner: InMemoryStreamLog
        let down = Atomic<Bool>(false)
        let refused = Atomic<Int>(0)
        /// Milliseconds each append takes: a log that answers, slowly.
        let appendDelay = Atomic<Int>(0)

        init(options: StreamLogOptions = StreamLogOptions()) { inner = InMemoryStreamLog(options: options) }

        var options: StreamLogOptions { inner.options }

        func checkUp() throws {
            if down.load(ordering: .relaxed) {
                refused.add(1, ordering: .relaxed)
                throw StreamingError.connection("the log is unreachable (test)")
            }
        }

        func create(_ record: StreamRecord) async throws -> Bool { try await inner.create(record) }
        func append(_ frames: [StreamFrame], to id: String, node: String, final: Bool) async throws {
            let delay = appendDelay.load(ordering: .relaxed)
            if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
            try checkUp()
            try await inner.append(frames, to: id, node: node, final: final)
        }
        func renew(_ id: String, node: String) async throws {
            try checkUp()
            try await inner.renew(id, node: node)
        }
        func record(_ id: String) async throws -> StreamRecord? { try await inner.record(id) }
        func frames(of id: String, after seq: Int, limit: Int) async throws -> [StreamFrame] {
            try await inner.frames(of: id, after: seq, limit: limit)
        }
        func markLost(_ id: String, expectedLastSeq: Int, frame: StreamFrame) async throws -> Bool {
            try await inner.markLost(id, expectedLastSeq: expectedLastSeq, frame: frame)
        }
        func follow(_ id: String) async throws -> AsyncStream<[StreamFrame]> { try await inner.follow(id) }
        func requestCancel(_ id: String, on node: String) async throws { try await inner.requestCancel(id, on: node) }
        func cancelRequests(for node: String) async throws -> AsyncStream<String> { try await inner.cancelRequests(for: node) }
    }

    static func hub(model: any ModelProvider, log: SwitchableLog, maxPending: Int) -> ConnectionHub {
        HubFixture.hub(
            streams: AgentStreamService(
                runner: AgentRunner(provider: model), agents: { $0 == "assistant" ? HubFixture.assistant : nil },
                cluster: StreamCluster(log: log, nodeID: "node-1", maxPendingFrames: maxPending)))
    }

    @Test("frames produced while the log is down are written in order once it is back; clients see no gap")
    func outageWithinTheBound() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: 10))
        let log = SwitchableLog()
        let hub = Self.hub(model: model, log: log, maxPending: 100)
        try await withRunningHub(hub) {
            let client = try hub.connectClient()
            client.send(#"{"type":"agent_stream","id":"outage","agent":"assistant","input":"hi"}"#)
            model.release()
            try await waitUntil("the first frame in the log") { (try? await log.record("outage"))?.lastSeq == 1 }
            log.down.store(true, ordering: .relaxed)
            for _ in 0..<5 { model.release() }
            try await waitUntil("a refused append") { log.refused.load(ordering: .relaxed) > 0 }
            // Live delivery here does not wait for the log.
            try await waitUntil("six chunks at the client") { client.sink.messages(ofType: "response_chunk").count == 6 }
            log.down.store(false, ordering: .relaxed)
            model.releaseAll()
            try await waitUntil("the whole stream in the log") { (try? await log.record("outage"))?.isFinished == true }
            let logged = try await log.frames(of: "outage", after: 0, limit: 100)
            #expect(logged.map(\.seq) == Array(1...11))
            #expect(logged.last?.type == "complete")
            #expect(client.sink.messages.compactMap { $0["seq"]?.intValue } == Array(1...11))
        }
    }

    @Test("a log that answers more slowly than the model produces slows the stream down; it does not end it")
    func slowLogIsBackPressure() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: 200))
        let log = SwitchableLog()
        log.appendDelay.store(5, ordering: .relaxed)
        let hub = Self.hub(model: model, log: log, maxPending: 10)
        try await withRunningHub(hub) {
            let client = try hub.connectClient()
            client.send(#"{"type":"agent_stream","id":"burst","agent":"assistant","input":"hi"}"#)
            model.releaseAll()
            try await waitUntil(timeout: .seconds(30), "the stream's end") {
                ["complete", "error"].contains(client.sink.last?["type"]?.stringValue ?? "")
            }
            #expect(client.sink.last?["type"]?.stringValue == "complete", "\(client.sink.errorCodes)")
            try await waitUntil("the whole stream in the log") { (try? await log.record("burst"))?.isFinished == true }
            #expect(try await log.frames(of: "burst", after: 0, limit: 1_000).map(\.seq) == Array(1...201))
        }
    }

    @Test("past the buffer's bound the stream ends with cluster_unavailable, explicitly; once the log is back it holds the stream whole, error last")
    func outagePastTheBound() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: 40))
        let probe = CancellationProbe(model)
        let log = SwitchableLog()
        let hub = Self.hub(model: probe, log: log, maxPending: 5)
        try await withRunningHub(hub) {
            let client = try hub.connectClient()
            log.down.store(true, ordering: .relaxed)
            client.send(#"{"type":"agent_stream","id":"overflow","agent":"assistant","input":"hi"}"#)
            // One token at a time, as a model streams: the sixth unlogged frame overflows.
            for released in 1...40 where client.sink.last?["type"]?.stringValue != "error" {
                model.release()
                try await waitUntil("chunk \(released) or the end") {
                    client.sink.messages(ofType: "response_chunk").count == released
                        || client.sink.last?["type"]?.stringValue == "error"
                }
            }
            #expect(client.sink.errorCodes == ["cluster_unavailable"])
            // The sixth unlogged frame overflows the bound of 5 and stops the run; the token
            // released right after it may still come out before the stop takes effect.
            let chunks = client.sink.messages(ofType: "response_chunk").count
            #expect((6...7).contains(chunks), "stopped at the sixth unlogged frame, got \(chunks) chunks")
            // The model waits for a release that never comes: only a stopped run ends its request.
            try await waitUntil("the model request to be cancelled") { probe.wasCancelled }
            let seqs = client.sink.messages.compactMap { $0["seq"]?.intValue }
            #expect(seqs == Array(1...seqs.count), "gapless up to the error")

            // The log comes back: the writer writes what it held, the error last, and ends.
            log.down.store(false, ordering: .relaxed)
            try await waitUntil("the stream's end in the log") { (try? await log.record("overflow"))?.isFinished == true }
            let logged = try await log.frames(of: "overflow", after: 0, limit: 100)
            #expect(logged.map(\.seq) == seqs, "the log holds what the client got, without a gap")
            let lastText = String(decoding: logged.last.map(\.frame.bytes) ?? [], as: UTF8.self)
            #expect(lastText.contains(#""code":"cluster_unavailable""#), "\(lastText)")
        }
    }
}
