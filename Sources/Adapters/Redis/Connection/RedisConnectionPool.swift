import Synchronization

/// A few connections to one server, so concurrent callers do not queue behind one socket.
///
/// Each call goes to the connection with the fewest calls in flight; a connection runs its
/// calls one after the other on its own thread.
public final class RedisConnectionPool: Sendable {
    /// The server every connection of the pool talks to.
    public let configuration: RedisConfiguration
    private let connections: [RedisConnection]
    /// Calls in flight on each connection.
    private let load: Mutex<[Int]>

    /// `size` connections (at least one) to the server of `configuration`, opened lazily.
    public init(configuration: RedisConfiguration, size: Int = 4, name: String = "raaf-redis") {
        self.configuration = configuration
        let size = max(1, size)
        connections = (0..<size).map { RedisConnection(configuration: configuration, name: "\(name).\($0)") }
        load = Mutex(Array(repeating: 0, count: size))
    }

    /// Runs `body` with the least busy connection.
    public func withConnection<Result: Sendable>(
        _ body: (RedisConnection) async throws -> Result
    ) async throws -> Result {
        let index = load.withLock { load in
            let index = load.indices.min { load[$0] < load[$1] }!
            load[index] += 1
            return index
        }
        defer { load.withLock { $0[index] -= 1 } }
        return try await body(connections[index])
    }

    /// Sends one command on the least busy connection.
    public func send(_ command: RedisCommand) async throws -> RedisReply {
        try await withConnection { try await $0.send(command) }
    }

    /// Sends `commands` as one pipeline on the least busy connection.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RedisReply] {
        try await withConnection { try await $0.pipeline(commands) }
    }

    /// Closes every connection.
    public func close() async {
        for connection in connections { await connection.close() }
    }
}
