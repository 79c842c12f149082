import Foundation
import Logging
import StreamingApplication
import StreamingDomain
import StreamingRedis
import StreamingRedisTestSupport
import StreamingTestSupport
import Testing

@Suite("RedisBroadcaster", .enabled(RedisTestSupport.requirement) { RedisTestSupport.isAvailable })
struct RedisBroadcasterTests {
    static func node(_ nodeID: String, url: String, namespace: String) throws -> RedisBroadcaster {
        RedisBroadcaster(
            configuration: try RedisConfiguration(url: url), nodeID: nodeID, namespace: namespace,
            logger: Logger(label: "redis-broadcaster-tests"))
    }

    @Test(arguments: BroadcasterConformance.cases)
    func conformance(_ check: BroadcasterConformance.Case) async throws {
        let url = try await RedisTestSupport.sharedURL()
        let namespace = RedisTestSupport.freshNamespace("cluster")
        try await check.run { nodeID in try Self.node(nodeID, url: url, namespace: namespace) }
    }
}
