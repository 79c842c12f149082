import CHiredis
import Glibc
import StreamingDomain

/// One connection to a Redis server: a blocking hiredis context owned by this actor, whose
/// jobs all run on a thread of its own, so blocking reads and writes never hold a thread
/// of Swift's cooperative pool.
///
/// The connection opens on the first command. After an I/O error the context is dropped
/// and the next command connects again (with `AUTH` and `SELECT`); a connection that the
/// server closed while it was idle (a restart) is noticed before a command is sent, so
/// the command goes to the new server instead of failing.
///
/// Errors: `StreamingError.connection` when the server cannot be reached or the connection
/// breaks; an error *reply* is returned as ``RedisReply/error(_:)`` for the caller to judge.
public actor RedisConnection {
    /// The server this connection talks to.
    public let configuration: RedisConfiguration
    private let executor: ThreadExecutor
    /// Owned by this actor and used only on its thread.
    private var context: UnsafeMutablePointer<redisContext>?
    private var closed = false

    /// Runs every job of this actor on the connection's own thread.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// A connection to the server of `configuration`; nothing is opened until the first
    /// command. `name` names its thread (15 bytes at most are kept).
    public init(configuration: RedisConfiguration, name: String = "raaf-redis") {
        self.configuration = configuration
        self.executor = ThreadExecutor(name: name)
    }

    /// Runs on the connection's own thread, the only one that touches the context.
    isolated deinit {
        if let context { redisFree(context) }
        executor.stop()
    }

    /// Sends one command and waits for its reply (`redisCommandArgv`).
    public func send(_ command: RedisCommand) throws -> RedisReply {
        guard command.count > 0 else { throw StreamingError.invalidInput("an empty Redis command") }
        let context = try connected()
        let raw = command.withArgv { argc, argv, lengths in redisCommandArgv(context, argc, argv, lengths) }
        guard let raw else { throw dropAfterFailure(context) }
        defer { freeReplyObject(raw) }
        return RedisReply(raw.assumingMemoryBound(to: redisReply.self))
    }

    /// Sends a command given as text parts, such as `send("GET", "key")`.
    public func send(_ name: String, _ arguments: String...) throws -> RedisReply {
        var command = RedisCommand(name)
        for argument in arguments { command.append(argument) }
        return try send(command)
    }

    /// Sends `commands` in one write and reads their replies in order: one round trip
    /// (`redisAppendCommandArgv`, then `redisGetReply` for each).
    public func pipeline(_ commands: [RedisCommand]) throws -> [RedisReply] {
        guard !commands.isEmpty else { return [] }
        guard commands.allSatisfy({ $0.count > 0 }) else { throw StreamingError.invalidInput("an empty Redis command") }
        let context = try connected()
        for command in commands {
            let status = command.withArgv { argc, argv, lengths in redisAppendCommandArgv(context, argc, argv, lengths) }
            guard status == REDIS_OK else { throw dropAfterFailure(context) }
        }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw dropAfterFailure(context) }
            replies.append(RedisReply(raw.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(raw)
        }
        return replies
    }

    /// Closes the connection; later commands throw `StreamingError.connection`.
    public func close() {
        closed = true
        if let context { redisFree(context) }
        context = nil
    }

    /// Whether a context is open now (it may still turn out to be dead).
    public var isOpen: Bool { context != nil }

    // MARK: Connecting

    private func connected() throws -> UnsafeMutablePointer<redisContext> {
        guard !closed else { throw StreamingError.connection("the Redis connection was closed") }
        if let context {
            if !Self.closedByPeer(context) { return context }
            redisFree(context)
            self.context = nil
        }
        let context = try RedisContext.open(configuration)
        self.context = context
        return context
    }

    /// Drops a context that failed (its stream is out of step now) and describes why.
    private func dropAfterFailure(_ failed: UnsafeMutablePointer<redisContext>) -> StreamingError {
        let reason = RedisContext.errorText(failed)
        redisFree(failed)
        if context == failed { context = nil }
        return StreamingError.connection("Redis at \(configuration.host):\(configuration.port): \(reason)")
    }

    /// Whether the server closed an idle connection (it is readable although no reply is
    /// due, or hung up): then a command would only fail, so connect again first.
    private static func closedByPeer(_ context: UnsafeMutablePointer<redisContext>) -> Bool {
        var descriptor = pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, 0)
        return ready != 0
    }
}
