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

    /// Named queues on one server and namespace.
    @Test(arguments: NamedQueueConformance.cases)
    func namedQueues(_ check: NamedQueueConformance.Case) async throws {
        let namespace = RedisTestSupport.freshNamespace()
        let url = try await RedisTestSupport.sharedURL()
        try await check.run { name in try RedisJobQueue(url: url, namespace: namespace, queue: name) }
        try await RedisTestSupport.drop(namespace: namespace)
    }
}
