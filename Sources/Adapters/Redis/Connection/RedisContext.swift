import CHiredis
import Glibc
import StreamingDomain

/// Opening a hiredis context: connect, time-outs, keep-alive, `AUTH` and `SELECT`. Shared by
/// ``RedisConnection`` (commands) and the Pub/Sub subscriber, which owns a context of its own.
enum RedisContext {
    /// A connected, logged-in context to the server of `configuration`; throws
    /// `StreamingError.connection` when it cannot be had.
    static func open(_ configuration: RedisConfiguration) throws -> UnsafeMutablePointer<redisContext> {
        guard let context = redisConnectWithTimeout(configuration.host, Int32(configuration.port), Self.timeval(configuration.connectTimeout)) else {
            throw StreamingError.connection("cannot allocate a Redis context")
        }
        guard context.pointee.err == 0 else {
            let reason = Self.errorText(context)
            redisFree(context)
            throw StreamingError.connection("cannot connect to Redis at \(configuration.host):\(configuration.port): \(reason)")
        }
        do {
            guard redisSetTimeout(context, Self.timeval(configuration.commandTimeout)) == REDIS_OK else {
                throw StreamingError.connection("cannot set the Redis command timeout: \(Self.errorText(context))")
            }
            _ = redisEnableKeepAlive(context)
            try handshake(context, configuration)
            return context
        } catch {
            redisFree(context)
            throw error
        }
    }

    /// `AUTH` and `SELECT` on a new context.
    static func handshake(_ context: UnsafeMutablePointer<redisContext>, _ configuration: RedisConfiguration) throws {
        var commands: [(what: String, command: RedisCommand)] = []
        if let password = configuration.password {
            var auth = RedisCommand("AUTH")
            if let username = configuration.username { auth.append(username) }
            auth.append(password)
            commands.append(("login", auth))
        }
        if configuration.database != 0 {
            commands.append(("SELECT of database \(configuration.database)", RedisCommand("SELECT", String(configuration.database))))
        }
        for (what, command) in commands {
            let raw = command.withArgv { argc, argv, lengths in redisCommandArgv(context, argc, argv, lengths) }
            guard let raw else {
                throw StreamingError.connection("Redis dropped the connection during the handshake: \(Self.errorText(context))")
            }
            let reply = RedisReply(raw.assumingMemoryBound(to: redisReply.self))
            freeReplyObject(raw)
            if case .error(let message) = reply {
                // The server's message (such as WRONGPASS) never repeats the password.
                throw StreamingError.connection("Redis refused the \(what): \(message)")
            }
        }
    }

    /// hiredis's description of the context's last error.
    static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        let text = withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if !text.isEmpty { return text }
        return context.pointee.err == REDIS_ERR_EOF ? "the server closed the connection" : "I/O error \(context.pointee.err)"
    }

    /// `duration` as the `timeval` hiredis takes.
    static func timeval(_ duration: Duration) -> Glibc.timeval {
        let (seconds, attoseconds) = duration.components
        return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
