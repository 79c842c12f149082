import Foundation
import Logging
import Synchronization
import StreamingRedis
import StreamingRedisTestSupport
import StreamingTestSupport
import Testing

/// Where the Redis tests find a server: `REDIS_URL` when it is set, else one `redis-server`
/// started (lazily) for the whole test process on a free loopback port, shared by every
/// test; each test works in a namespace of its own, so they run in parallel on it. The
/// shared server ends with the test process (see ``RedisTestServer``).
enum RedisTestSupport {
    /// Why the Redis tests are skipped when there is no server to use.
    static let requirement: Comment =
        "needs redis-server on PATH (apt-get install redis-server; scripts/install-deps.sh does it) or REDIS_URL"
    /// Why the tests that restart a server of their own are skipped.
    static let ownServerRequirement: Comment =
        "needs redis-server on PATH (apt-get install redis-server; scripts/install-deps.sh does it) to restart a server of its own"

    static var environmentURL: String? { SharedRedisServer.environmentURL }

    static var canStartServers: Bool { SharedRedisServer.canStartServers }

    static var isAvailable: Bool { SharedRedisServer.isAvailable }

    /// The URL of the server the tests share.
    static func sharedURL() async throws -> String { try await SharedRedisServer.url() }

    /// A namespace no other test uses.
    static func freshNamespace(_ label: String = "test") -> String { SharedRedisServer.freshNamespace(label) }

    /// A queue on the shared server in a fresh namespace.
    static func freshQueue(completedRetention: Duration = .seconds(3600)) async throws -> (queue: RedisJobQueue, namespace: String) {
        let namespace = freshNamespace()
        let queue = try RedisJobQueue(
            url: try await sharedURL(),
            namespace: namespace,
            completedRetention: completedRetention,
            logger: Logger(label: "redis-tests")
        )
        return (queue, namespace)
    }

    /// Deletes every key of `namespace` (so a server given by REDIS_URL is left clean).
    static func drop(namespace: String) async throws {
        let connection = RedisConnection(configuration: try RedisConfiguration(url: try await sharedURL()))
        var cursor = "0"
        repeat {
            let reply = try await connection.send("SCAN", cursor, "MATCH", "{\(namespace)}:*", "COUNT", "1000")
            guard let parts = reply.array, parts.count == 2, let next = parts[0].string, let keys = parts[1].array else { break }
            cursor = next
            if !keys.isEmpty {
                var unlink = RedisCommand("UNLINK")
                for key in keys { unlink.append(key.bytes ?? []) }
                _ = try await connection.send(unlink)
            }
        } while cursor != "0"
        await connection.close()
    }
}
