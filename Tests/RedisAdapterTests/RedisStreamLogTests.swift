import Logging
import StreamingApplication
import StreamingDomain
@testable import StreamingRedis
import StreamingRedisTestSupport
import StreamingTestSupport
import Testing

@Suite("RedisStreamLog", .enabled(RedisTestSupport.requirement) { RedisTestSupport.isAvailable })
struct RedisStreamLogTests {
    @Test(arguments: StreamLogConformance.cases)
    func conformance(_ check: StreamLogConformance.Case) async throws {
        let url = try await RedisTestSupport.sharedURL()
        let namespace = RedisTestSupport.freshNamespace("streams")
        let logs = Locked<[RedisStreamLog]>([])
        try await check.run {
            let log = RedisStreamLog(
                configuration: try RedisConfiguration(url: url), namespace: namespace,
                options: StreamLogConformance.options, logger: Logger(label: "stream-log-tests"))
            logs.withLock { $0.append(log) }
            return log
        }
        for log in logs.value { await log.close() }
        // Every key of a stream has an expiry: none outlives its retention.
        let reply = try await SharedRedisServer.raw("KEYS", "\(namespace):*")
        for key in reply.array ?? [] {
            let ttl = try await SharedRedisServer.raw("PTTL", key.string ?? "").integer ?? -3
            // -1: no expiry (the failure); -2: gone since KEYS listed it, so it had one (a short
            // retention runs out between the two commands on a loaded machine).
            #expect(ttl > 0 || ttl == -2, "\(key.string ?? "?") has no expiry")
        }
    }

    @Test("a follow begun as the stream's last follower ends still gets the frames appended after it")
    func followAsLastFollowerEnds() async throws {
        let url = try await RedisTestSupport.sharedURL()
        let log = RedisStreamLog(
            configuration: try RedisConfiguration(url: url), namespace: RedisTestSupport.freshNamespace("streams"),
            options: StreamLogConformance.options, logger: Logger(label: "stream-log-tests"))
        let id = "s-" + ConnectionID.random().rawValue
        #expect(try await log.create(StreamRecord(id: id, agentName: "assistant", input: "hi", owner: nil, node: "node-a")))
        for round in 1...30 {
            let last = try await log.follow(id)
            let reader = Task { for await _ in last {} }
            // The last follower ends (its UNSUBSCRIBE) while the next one follows (its SUBSCRIBE).
            async let next = log.follow(id)
            reader.cancel()
            let updates = try await next
            let frame = StreamFrame(seq: round, type: "response_chunk", frame: OutboundFrame(text: #"{"seq":\#(round)}"#))
            try await log.append([frame], to: id, node: "node-a", final: false)
            let seqs = await Self.firstBatch(of: updates, within: .seconds(5))?.map(\.seq)
            #expect(seqs == [round], "round \(round): the new follower got \(String(describing: seqs))")
            if seqs != [round] { break }
        }
        await log.close()
    }

    /// The first batch of `updates`, or `nil` when none came within `limit`.
    static func firstBatch(of updates: AsyncStream<[StreamFrame]>, within limit: Duration) async -> [StreamFrame]? {
        await withTaskGroup(of: [StreamFrame]?.self) { group in
            group.addTask {
                for await batch in updates { return batch }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    @Test("a published batch decodes to its frames; a malformed one is refused")
    func batchCodec() {
        let payload = Array("1 response_chunk 5\nhello2 complete 2\n{}".utf8)
        let frames = RedisStreamLog.decodeBatch(payload)
        #expect(frames?.map(\.seq) == [1, 2])
        #expect(frames?.map(\.type) == ["response_chunk", "complete"])
        #expect(frames?.map(\.frame.text) == ["hello", "{}"])
        #expect(RedisStreamLog.decodeBatch(Array("1 response_chunk 50\nshort".utf8)) == nil)
        #expect(RedisStreamLog.decodeBatch(Array("x y\nz".utf8)) == nil)
    }
}
