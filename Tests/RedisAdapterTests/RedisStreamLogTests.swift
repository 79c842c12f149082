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
