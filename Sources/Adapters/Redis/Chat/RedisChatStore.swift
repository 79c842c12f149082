import StreamingApplication
import StreamingDomain

/// A ``ChatStore`` in Redis, shared by every node of a cluster: rooms, their settings and
/// each room's recent messages, with one room-wide `seq` counter in Redis.
///
/// Keys are those of ``ChatKeys`` (`ns:chat:rooms`, `ns:chat:room:{NAME}:meta`, `…:seq`,
/// `…:log`), with no expiry: rooms and history survive a restart of every node, and of
/// Redis as far as its persistence goes (`appendonly yes` keeps every acknowledged write).
///
/// Retention: Redis keeps the last ``Room/messageHistory`` messages of each room. Every
/// append trims the room's log to exactly that many (`XTRIM MAXLEN`, not `~`), and saving a
/// room with a smaller `messageHistory` trims it at once, as `InMemoryChatStore` does;
/// paging back with ``history(ofRoom:beforeSeq:limit:)`` ends at the oldest kept message.
/// ``lastSeq(inRoom:)`` still counts trimmed messages, so a `seq` is never handed out twice.
///
/// Atomicity: saving, deleting and appending are each one Lua script (``ChatScripts``),
/// one round trip. An ``append(_:)`` checks its whole batch (each room exists, each `seq` is
/// above its room's last one) before it writes any of it, so two stores appending to one
/// room from different nodes can never store a `seq` twice or out of order: the later
/// append of a taken `seq` is refused.
///
/// Errors: `StreamingError.invalidInput` for a refused append (as the port says) and for a
/// `seq` above ``ChatKeys/maxSeq``; `StreamingError.connection` when Redis cannot be
/// reached; `StreamingError.protocol` for a stored value that cannot be read
/// (`corrupt chat record: …`) or an error reply.
///
/// Standalone Redis servers only (no Cluster redirections), as the other Redis adapters;
/// Redis 6.2 or later (exclusive ranges in `XREVRANGE`).
public final class RedisChatStore: ChatStore {
    /// The keys of this store's namespace.
    public let keys: ChatKeys
    private let pool: RedisConnectionPool
    /// Whether ``close()`` closes the pool (this store made it).
    private let ownsPool: Bool

    /// A store on the server of `configuration`, in `namespace`, with `connections` pooled
    /// connections of its own. Nothing connects until it is used.
    ///
    /// - Throws: `StreamingError.invalidInput` for an empty namespace or one with braces.
    public convenience init(configuration: RedisConfiguration, namespace: String = "raaf", connections: Int = 4) throws {
        try self.init(
            pool: RedisConnectionPool(configuration: configuration, size: connections, name: "raaf-chat"),
            namespace: namespace, ownsPool: true)
    }

    /// A store that sends its commands through `pool`, shared with other users of the
    /// server; ``close()`` leaves it open.
    ///
    /// - Throws: `StreamingError.invalidInput` for an empty namespace or one with braces.
    public convenience init(pool: RedisConnectionPool, namespace: String = "raaf") throws {
        try self.init(pool: pool, namespace: namespace, ownsPool: false)
    }

    private init(pool: RedisConnectionPool, namespace: String, ownsPool: Bool) throws {
        self.keys = try ChatKeys(namespace: namespace)
        self.pool = pool
        self.ownsPool = ownsPool
    }

    /// Closes the store's own connections (not a pool it was given); later calls throw
    /// `StreamingError.connection`.
    public func close() async {
        if ownsPool { await pool.close() }
    }

    // MARK: Rooms

    /// Stores a new room after every stored one, or replaces the settings of the room with
    /// the same name, keeping its place in the creation order, its `seq` and its messages
    /// (trimmed to the new ``Room/messageHistory``).
    public func saveRoom(_ room: Room) async throws {
        var command = ChatScripts.saveRoom.command(
            keys: [keys.rooms, keys.roomOrder, keys.meta(room.name), keys.log(room.name)], arguments: [room.name])
        command.append(try ChatRecordCoding.encode(room))
        command.append(max(0, room.messageHistory))
        _ = try await pool.withConnection { try await $0.evaluate(ChatScripts.saveRoom, command) }
    }

    /// Deletes the room, its `seq` and its messages in one script; nothing for an unknown name.
    public func deleteRoom(named name: String) async throws {
        let command = ChatScripts.deleteRoom.command(keys: [keys.rooms] + keys.roomKeys(name), arguments: [name])
        _ = try await pool.withConnection { try await $0.evaluate(ChatScripts.deleteRoom, command) }
    }

    /// Every stored room, in creation order, read in one script (a consistent snapshot).
    ///
    /// - Throws: `StreamingError.protocol` when a room's stored settings do not decode.
    public func rooms() async throws -> [Room] {
        let command = ChatScripts.rooms.command(
            keys: [keys.rooms], arguments: [keys.roomPrefix, ChatKeys.roomClose + ChatKeys.metaSuffix])
        let reply = try await pool.withConnection { try await $0.evaluate(ChatScripts.rooms, command) }
        guard let parts = reply.array, parts.count % 2 == 0 else {
            throw StreamingError.protocol("chat rooms: unexpected reply \(reply)")
        }
        var rooms: [Room] = []
        rooms.reserveCapacity(parts.count / 2)
        for index in stride(from: 0, to: parts.count, by: 2) {
            guard let name = parts[index].string else {
                throw StreamingError.protocol("chat rooms: unexpected reply \(reply)")
            }
            guard let settings = parts[index + 1].bytes else {
                throw ChatRecordCoding.corrupt("room \"\(name)\" is listed but has no settings")
            }
            rooms.append(try ChatRecordCoding.room(named: name, from: settings))
        }
        return rooms
    }

    // MARK: Messages

    /// Stores the messages, in order, in one script; each room's log is then trimmed to its
    /// ``Room/messageHistory``.
    ///
    /// - Throws: `StreamingError.invalidInput`, storing none of the batch, when a message's
    ///   room is not stored, its `seq` is not above every `seq` stored for its room (counting
    ///   the messages earlier in the batch), or its `seq` is above ``ChatKeys/maxSeq``.
    public func append(_ messages: [RoomMessage]) async throws {
        guard !messages.isEmpty else { return }
        var roomIndex: [String: Int] = [:]
        var rooms: [String] = []
        var arguments: [(room: Int, message: RoomMessage, json: [UInt8])] = []
        arguments.reserveCapacity(messages.count)
        for message in messages {
            guard message.seq <= ChatKeys.maxSeq else {
                throw StreamingError.invalidInput(
                    "message seq \(message.seq) in room \"\(message.room)\" is above the highest seq \(ChatKeys.maxSeq)")
            }
            let index: Int
            if let known = roomIndex[message.room] {
                index = known
            } else {
                rooms.append(message.room)
                index = rooms.count
                roomIndex[message.room] = index
            }
            arguments.append((index, message, try ChatRecordCoding.encode(message)))
        }
        var command = ChatScripts.append.command(keys: rooms.flatMap { [keys.meta($0), keys.seq($0), keys.log($0)] })
        for argument in arguments {
            command.append(argument.room)
            command.append(argument.message.seq)
            command.append(argument.json)
        }
        let reply = try await pool.withConnection { try await $0.evaluate(ChatScripts.append, command) }
        let codes = reply.array?.compactMap(\.integer) ?? []
        switch codes.first {
        case 0:
            return
        case 1 where codes.count == 2 && (1...rooms.count).contains(Int(codes[1])):
            throw StreamingError.invalidInput("no room named \"\(rooms[Int(codes[1]) - 1])\" is stored")
        case 2 where codes.count == 3 && (1...messages.count).contains(Int(codes[1])):
            let message = messages[Int(codes[1]) - 1]
            throw StreamingError.invalidInput(
                "message seq \(message.seq) in room \"\(message.room)\" is not above the last seq \(codes[2])")
        default:
            throw StreamingError.protocol("chat append: unexpected reply \(reply)")
        }
    }

    /// The highest `seq` ever stored for `room` (trimmed messages count), or 0.
    public func lastSeq(inRoom room: String) async throws -> Int {
        let reply = try await pool.send(RedisCommand("GET", keys.seq(room))).checked("chat last seq")
        if reply.isNull { return 0 }
        guard let seq = reply.integer else {
            throw ChatRecordCoding.corrupt("the seq of room \"\(room)\" is \(reply), not an integer")
        }
        return Int(seq)
    }

    /// Up to `limit` kept messages of `room` just before `beforeSeq` (the latest when `nil`),
    /// in ascending `seq` order: one `XREVRANGE` from `(0-beforeSeq` back, turned around.
    ///
    /// - Throws: `StreamingError.protocol` when an entry of the page cannot be read as a message.
    public func history(ofRoom room: String, beforeSeq: Int?, limit: Int) async throws -> [RoomMessage] {
        guard limit > 0 else { return [] }
        if let beforeSeq, beforeSeq <= 1 { return [] }
        let end = beforeSeq.map { "(0-\($0)" } ?? "+"
        let reply = try await pool.send(RedisCommand("XREVRANGE", keys.log(room), end, "-", "COUNT", String(limit)))
        guard let entries = try reply.checked("chat history").array else {
            throw StreamingError.protocol("chat history: unexpected reply \(reply)")
        }
        var page: [RoomMessage] = []
        page.reserveCapacity(entries.count)
        for entry in entries.reversed() {
            guard let parts = entry.array, parts.count == 2, let id = parts[0].string else {
                throw StreamingError.protocol("chat history: unexpected entry \(entry)")
            }
            guard id.hasPrefix("0-"), let seq = Int(id.dropFirst(2)), let fields = parts[1].array, fields.count == 2,
                fields[0].string == ChatKeys.messageField, let json = fields[1].bytes
            else {
                throw ChatRecordCoding.corrupt("entry \(id) of room \"\(room)\" is not one message field")
            }
            page.append(try ChatRecordCoding.message(room: room, seq: seq, from: json))
        }
        return page
    }

    // MARK: Health

    /// One round trip (`ZCARD` of the rooms), for `/health`; the detail counts the rooms.
    public func healthCheck() async throws -> String? {
        let reply = try await pool.send(RedisCommand("ZCARD", keys.rooms)).checked("chat health check")
        guard let count = reply.integer else { throw StreamingError.protocol("chat health check: unexpected reply \(reply)") }
        return "redis, \(count) room\(count == 1 ? "" : "s")"
    }
}
