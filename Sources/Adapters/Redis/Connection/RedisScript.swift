import StreamingDomain

/// A Lua script run atomically by the server: sent by its SHA-1 (`EVALSHA`), and by its
/// source (`EVAL`, which also caches it) when the server does not know it yet (`NOSCRIPT`,
/// after a restart or `SCRIPT FLUSH`).
public struct RedisScript: Sendable, Hashable {
    /// The script's name, for error messages.
    public let name: String
    /// The Lua source, as sent to `EVAL` and `SCRIPT LOAD`.
    public let source: String
    /// The lowercase hex SHA-1 of `source`, the name `EVALSHA` uses.
    public let sha1: String

    /// A script named `name` (for messages) with its Lua `source`.
    public init(name: String, source: String) {
        self.name = name
        self.source = source
        self.sha1 = SHA1.hex(source)
    }

    /// The `EVALSHA` command for `keys` and `arguments` (or `EVAL` with the source, when
    /// `sendingSource`); append further arguments to it.
    public func command(keys: [String] = [], arguments: [String] = [], sendingSource: Bool = false) -> RedisCommand {
        var command = sendingSource ? RedisCommand("EVAL", source, String(keys.count)) : RedisCommand("EVALSHA", sha1, String(keys.count))
        for key in keys { command.append(key) }
        for argument in arguments { command.append(argument) }
        return command
    }

    /// Whether `reply` says the server does not have the script.
    static func isMissing(_ reply: RedisReply) -> Bool {
        if case .error(let message) = reply { return message.hasPrefix("NOSCRIPT") }
        return false
    }

    /// `command` (an `EVALSHA` made by ``command(keys:arguments:sendingSource:)``) as `EVAL` with the source.
    func withSource(_ command: RedisCommand) -> RedisCommand {
        var parts = command.arguments
        parts[0] = Array("EVAL".utf8)
        parts[1] = Array(source.utf8)
        return RedisCommand(arguments: parts)
    }
}

extension RedisConnection {
    /// Runs `command` (an `EVALSHA` of `script`), loading the script first if the server
    /// lacks it; an error reply is thrown as `StreamingError.protocol`.
    public func evaluate(_ script: RedisScript, _ command: RedisCommand) throws -> RedisReply {
        var reply = try send(command)
        if RedisScript.isMissing(reply) { reply = try send(script.withSource(command)) }
        return try reply.checked("script \(script.name)")
    }

    /// Runs several commands of `script` in one pipeline (one round trip), in order.
    ///
    /// Give more than one command their source (`command(…, sendingSource: true)`): were
    /// the server to lose the script in the middle (a restart, `SCRIPT FLUSH`) while another
    /// client loads it again, some `EVALSHA`s would fail and later ones succeed, and the
    /// batch would run out of order. `EVAL` costs the server a SHA-1 of the source per
    /// command, nothing next to a batch. `EVALSHA` commands that fail with `NOSCRIPT` still
    /// run again with the source.
    public func evaluate(_ script: RedisScript, pipelined commands: [RedisCommand]) throws -> [RedisReply] {
        if commands.count < 2 { return try commands.map { try evaluate(script, $0) } }
        var replies = try pipeline(commands)
        let missing = replies.indices.filter { RedisScript.isMissing(replies[$0]) }
        if !missing.isEmpty {
            let again = try pipeline(missing.map { script.withSource(commands[$0]) })
            for (index, reply) in zip(missing, again) { replies[index] = reply }
        }
        return try replies.map { try $0.checked("script \(script.name)") }
    }
}
