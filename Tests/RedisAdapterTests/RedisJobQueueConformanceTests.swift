import StreamingApplication
import StreamingRedis
import StreamingTestSupport
import Testing

@Suite("RedisJobQueue conformance", .enabled(RedisTestSupport.requirement) { RedisTestSupport.isAvailable })
struct RedisJobQueueConformanceTests {
    /// Every case of the shared suite, each on an empty queue of its own (a fresh namespace).
    @Test(arguments: JobQueueConformance.cases)
    func conformance(_ check: JobQueueConformance.Case) async throws {
        let (queue, namespace) = try await RedisTestSupport.freshQueue()
        try await check.run(on: queue)
        try await RedisTestSupport.drop(namespace: namespace)
    }
}
