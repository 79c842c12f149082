import Foundation
import StreamingRedis
import StreamingTestSupport
import Synchronization

/// The Redis server a test process shares: `REDIS_URL` when it is set, else one
/// `redis-server` started (lazily) on a free loopback port and ended with the process (see
/// ``RedisTestServer``). Tests work in namespaces of their own, so they run in parallel on it.
public enum SharedRedisServer {
    public static var environmentURL: String? {
        ProcessInfo.processInfo.environment["REDIS_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether `redis-server` is on `PATH`.
    public static var canStartServers: Bool { ChildProcess.find("redis-server") != nil }

    /// Whether there is a server to use.
    public static var isAvailable: Bool { environmentURL != nil || canStartServers }

    private static let sharedServer = Task {
        let server = try await RedisTestServer.start()
        started.withLock { $0 = server }
        atexit { SharedRedisServer.started.withLock { $0 }?.stopAtExit() }
        return server
    }
    /// The shared server once started, for the `atexit` handler that stops it.
    private static let started = Mutex<RedisTestServer?>(nil)

    /// The URL of the shared server.
    public static func url() async throws -> String {
        if let url = environmentURL { return url }
        return try await sharedServer.value.url
    }

    /// A namespace no other test uses.
    public static func freshNamespace(_ label: String = "test") -> String {
        "\(label)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// One command on the shared server, as a test pokes at the data directly.
    public static func raw(_ name: String, _ arguments: String...) async throws -> RedisReply {
        let connection = RedisConnection(configuration: try RedisConfiguration(url: try await url()))
        var command = RedisCommand(name)
        for argument in arguments { command.append(argument) }
        let reply = try await connection.send(command)
        await connection.close()
        return reply
    }
}
