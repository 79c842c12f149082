import Foundation
import Logging
import StreamingApplication
import StreamingDomain

/// A ``ChatLedger`` in Redis: each change to a room is one atomic Lua script
/// (``ChatLedgerScripts``) on the keys ``RedisChatStore`` keeps rooms and messages in, so the
/// same Redis holds a cluster's rooms, their history and who is in them.
///
/// Commands go through a connection pool; room frames arrive on one Pub/Sub connection of
/// its own, which reconnects and subscribes again by itself. It needs one Redis server (or a
/// primary with replicas), not Redis Cluster: the reaper's script touches the rooms of a lost
/// node, which it cannot name in advance.
public final class RedisChatLedger: ChatLedger {
    public let nodeID: String
    public var events: AsyncStream<RoomEvent> { feed.events }
    /// At most 65,536 events wait for the node; a room that loses one gets a `.missed`.
    private let feed: RoomEventFeed
    private let pool: RedisConnectionPool
    /// Heartbeats and reaping on a connection of their own: a beat never waits behind a burst
    /// of joins or chunks on the pool, so a busy node is not taken for a lost one.
    private let beats: RedisConnection
    private let subscriber: RedisSubscriber
    /// The room keys it shares with ``RedisChatStore``.
    private let keys: ChatKeys
    /// `<ns>:chat:`, the scripts' `ARGV[1]`.
    private let prefix: String

    /// A ledger on the server of `configuration`, in `namespace` (the store's), for node `nodeID`.
    ///
    /// - Throws: ``StreamingError/invalidInput(_:)`` for a namespace ``ChatKeys`` refuses.
    public init(
        configuration: RedisConfiguration, namespace: String = "raaf", nodeID: String, connections: Int = 4,
        logger: Logger
    ) throws {
        self.nodeID = nodeID
        self.keys = try ChatKeys(namespace: namespace)
        let prefix = keys.prefix
        self.prefix = prefix
        self.pool = RedisConnectionPool(configuration: configuration, size: connections, name: "raaf-chat")
        self.beats = RedisConnection(configuration: configuration, name: "raaf-chat-beats")
        let feed = RoomEventFeed(logger: logger)
        self.feed = feed
        let channelPrefix = Array((prefix + "ev:").utf8)
        self.subscriber = RedisSubscriber(
            configuration: configuration, name: "raaf-chat-rooms", logger: logger,
            onResubscribed: { channel in
                guard channel.utf8.starts(with: channelPrefix) else { return }
                feed.yield(RoomEvent(room: String(channel.dropFirst(channelPrefix.count)), ev: 0, kind: .missed))
            },
            onPoll: { feed.flushMissed() }
        ) { channel, payload in
            guard channel.starts(with: channelPrefix) else { return }
            let room = String(decoding: channel[channelPrefix.count...], as: UTF8.self)
            if let event = Self.decodeEvent(room: room, payload: payload) {
                feed.yield(event)
            } else {
                logger.warning("malformed chat event", metadata: ["room": "\(room)"])
            }
        }
        subscriber.start()
    }

    /// Stops the Pub/Sub connection, ends ``events`` and closes the pool.
    public func close() async {
        await subscriber.stop()
        feed.finish()
        await pool.close()
        await beats.close()
    }

    // MARK: Events

    public func listen(to room: String) async throws {
        try await subscriber.subscribeAndWait(prefix + "ev:" + room)
    }

    public func stopListening(to room: String) {
        subscriber.unsubscribe(prefix + "ev:" + room)
    }

    /// `<ev> <kind> <except>\n<bytes>`.
    static func decodeEvent(room: String, payload: [UInt8]) -> RoomEvent? {
        guard let newline = payload.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let header = payload[..<newline].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard header.count == 3, let ev = Int(String(decoding: header[0], as: UTF8.self)) else { return nil }
        let except = String(decoding: header[2], as: UTF8.self)
        let bytes = Array(payload[(newline + 1)...])
        switch header[1].first {
        case UInt8(ascii: "f"):
            return RoomEvent(room: room, ev: ev, kind: .frame(OutboundFrame(bytes: bytes), except: except == "-" ? nil : except))
        case UInt8(ascii: "s"): return RoomEvent(room: room, ev: ev, kind: .stop(stream: except))
        case UInt8(ascii: "d"): return RoomEvent(room: room, ev: ev, kind: .deleted(OutboundFrame(bytes: bytes)))
        default: return nil
        }
    }

    // MARK: Running scripts

    private func run(_ script: RedisScript, _ arguments: [String]) async throws -> RedisReply {
        let command = script.command(arguments: [prefix] + arguments)
        return try await pool.withConnection { try await $0.evaluate(script, command) }
    }

    /// Runs a script of the node's liveness on its own connection.
    private func beat(_ script: RedisScript, _ arguments: [String]) async throws -> RedisReply {
        try await beats.evaluate(script, script.command(arguments: [prefix] + arguments))
    }

    private func run(_ script: RedisScript, _ arguments: [[UInt8]]) async throws -> RedisReply {
        var command = script.command(arguments: [prefix])
        for argument in arguments { command.append(argument) }
        return try await pool.withConnection { [command] in try await $0.evaluate(script, command) }
    }

    // MARK: Rooms

    public func createRoom(_ room: Room, maxRooms: Int) async throws -> LedgerOutcome<Room> {
        let reply = try await run(
            ChatLedgerScripts.create, [Array(room.name.utf8), try ChatRecordCoding.encode(room), Array(String(maxRooms).utf8)])
        switch reply.string {
        case "ok": return .done(room)
        case "exists": return .exists
        default: return .limit
        }
    }

    public func deleteRoom(named name: String, requestedBy: String?, notice: OutboundFrame) async throws -> LedgerOutcome<Void> {
        let reply = try await run(
            ChatLedgerScripts.delete, [Array(name.utf8), Array((requestedBy ?? "").utf8), notice.bytes])
        switch reply.string {
        case "ok": return .done(())
        case "notfound": return .notFound
        default: return .forbidden
        }
    }

    public func room(named name: String) async throws -> Room? {
        let reply = try await pool.send(RedisCommand("GET", keys.meta(name))).checked("GET")
        guard let bytes = reply.bytes else { return nil }
        return try ChatRecordCoding.room(named: name, from: bytes)
    }

    public func summaries() async throws -> [RoomFigures] {
        let reply = try await run(ChatLedgerScripts.summaries, [String]())
        return try (reply.array ?? []).map { entry in
            let parts = entry.array ?? []
            guard parts.count == 5, let name = parts[0].string, let meta = parts[1].bytes else {
                throw StreamingError.protocol("malformed room summary")
            }
            return RoomFigures(
                room: try ChatRecordCoding.room(named: name, from: meta), participants: Int(parts[2].integer ?? 0),
                lastSeq: Int(parts[3].integer ?? 0), streaming: parts[4].integer == 1)
        }
    }

    // MARK: Members

    public func join(_ room: String, member: LedgerMember, notice: OutboundFrame, recent: Int) async throws
        -> LedgerOutcome<RoomSnapshot>
    {
        var template = member
        template.order = SeqTemplate.marker
        guard let split = SeqTemplate(splitting: try Self.encode(template), field: "order") else {
            throw StreamingError.protocol("member template without order")
        }
        let reply = try await run(
            ChatLedgerScripts.join,
            [
                Array(room.utf8), Array(nodeID.utf8), Array(member.clientID.utf8), Array(member.key.utf8), split.head,
                split.tail, notice.bytes, Array(String(recent).utf8),
            ])
        let parts = reply.array ?? []
        switch parts.first?.string {
        case "ok", "again":
            var snapshot = try Self.snapshot(room, Array(parts.dropFirst(2)))
            if let bytes = parts[1].bytes { snapshot.member = try Self.decodeMember(bytes) }
            return .done(snapshot)
        case "forbidden": return .forbidden
        case "full": return .full(Int(parts[1].string ?? "") ?? 0)
        default: return .notFound
        }
    }

    /// meta, ev, seq, members, typing (client ids), entries (id, record, newest first), live.
    private static func snapshot(_ name: String, _ parts: [RedisReply]) throws -> RoomSnapshot {
        guard parts.count == 7, let meta = parts[0].bytes else { throw StreamingError.protocol("malformed room snapshot") }
        let members = try (parts[3].array ?? []).compactMap(\.bytes).map(decodeMember).sorted { $0.order < $1.order }
        let typingIDs = Set((parts[4].array ?? []).compactMap(\.string))
        return RoomSnapshot(
            room: try ChatRecordCoding.room(named: name, from: meta), ev: Int(parts[1].integer ?? 0),
            lastSeq: Int(parts[2].integer ?? 0), members: members, typing: members.filter { typingIDs.contains($0.clientID) },
            recent: try messages(of: name, newestFirst: parts[5].array ?? []), live: liveState(parts[6]), member: nil)
    }

    /// Messages from `XREVRANGE` entries flattened as id, record, id, record...; ascending.
    private static func messages(of room: String, newestFirst entries: [RedisReply]) throws -> [RoomMessage] {
        var messages: [RoomMessage] = []
        var index = entries.startIndex
        while index + 1 < entries.endIndex {
            guard let id = entries[index].string, let seq = Int(id.drop { $0 != "-" }.dropFirst()), let record = entries[index + 1].bytes
            else { throw StreamingError.protocol("malformed chat log entry") }
            messages.append(try ChatRecordCoding.message(room: room, seq: seq, from: record))
            index += 2
        }
        return messages.reversed()
    }

    private static func encode(_ member: LedgerMember) throws -> [UInt8] { Array(try JSONEncoder().encode(member)) }

    private static func decodeMember(_ bytes: [UInt8]) throws -> LedgerMember {
        do {
            return try JSONDecoder().decode(LedgerMember.self, from: Data(bytes))
        } catch {
            throw StreamingError.protocol("corrupt chat record: a member is not a member (\(error))")
        }
    }

    private static func liveState(_ reply: RedisReply) -> LiveAnswerState? {
        guard let fields = reply.array, fields.count == 5, let stream = fields[0].string else { return nil }
        return LiveAnswerState(
            stream: stream, agent: fields[1].string ?? "", node: fields[2].string ?? "",
            chunks: Int(fields[3].integer ?? 0), content: fields[4].string ?? "")
    }

    public func leave(_ room: String, clientID: String, notice: OutboundFrame) async throws -> Bool {
        try await run(ChatLedgerScripts.leave, [Array(room.utf8), Array(clientID.utf8), notice.bytes]).integer == 1
    }

    // MARK: Messages

    public func post(_ message: MessageTemplate, queueForAgent: Bool, maxWaiting: Int) async throws -> LedgerOutcome<PostReceipt> {
        // The record's `seq` is the log entry's id; what the encoded message says is ignored.
        let record = try ChatRecordCoding.encode(message.message)
        let reply = try await run(
            ChatLedgerScripts.post,
            [
                Array(message.room.utf8), message.frame.head, message.frame.tail, record,
                Array((message.clientID ?? "").utf8), Array(String(message.keepAtLeast).utf8),
                Array((queueForAgent ? "1" : "0").utf8), Array(String(maxWaiting).utf8), Array(nodeID.utf8),
            ])
        let parts = reply.array ?? []
        switch parts.first?.string {
        case "ok":
            guard parts.count == 4 else { throw StreamingError.protocol("malformed post reply") }
            let full = Int(parts[3].integer ?? -1)
            return .done(
                PostReceipt(seq: Int(parts[1].integer ?? 0), startAnswering: parts[2].integer == 1, queueFull: full < 0 ? nil : full))
        case "forbidden": return .forbidden
        default: return .notFound
        }
    }

    public func publish(_ frame: OutboundFrame, in room: String, except clientID: String?) async throws {
        _ = try await run(ChatLedgerScripts.publish, [Array(room.utf8), Array((clientID ?? "-").utf8), frame.bytes])
    }

    public func setTyping(_ typing: Bool, clientID: String, user: String, in room: String, frame: OutboundFrame) async throws {
        _ = try await run(
            ChatLedgerScripts.typing,
            [Array(room.utf8), Array(clientID.utf8), Array(user.utf8), Array((typing ? "1" : "0").utf8), frame.bytes])
    }

    // MARK: Answers

    public func nextAnswer(in room: String, stream: String, context: Int) async throws -> AnswerTicket? {
        let reply = try await run(ChatLedgerScripts.next, [room, nodeID, stream, String(max(1, context))])
        guard let parts = reply.array, parts.count >= 2, let meta = parts[0].bytes, let trigger = parts[1].integer else {
            return nil
        }
        let context = try Self.messages(of: room, newestFirst: Array(parts.dropFirst(2)))
        return AnswerTicket(room: try ChatRecordCoding.room(named: room, from: meta), trigger: Int(trigger), context: context)
    }

    public func appendChunk(_ text: String, to stream: String, in room: String, frame: SeqTemplate) async throws -> Int? {
        let reply = try await run(
            ChatLedgerScripts.chunk, [Array(room.utf8), Array(stream.utf8), Array(text.utf8), frame.head, frame.tail])
        guard let number = reply.integer, number > 0 else { return nil }
        return Int(number)
    }

    public func publishAnswerFrame(_ frame: OutboundFrame, of stream: String, in room: String) async throws -> Bool {
        try await run(ChatLedgerScripts.answerFrame, [Array(room.utf8), Array(stream.utf8), frame.bytes]).integer == 1
    }

    public func setAnswerAgent(_ agent: String, of stream: String, in room: String) async throws {
        _ = try await run(ChatLedgerScripts.answerAgent, [room, stream, agent])
    }

    public func endAnswer(_ stream: String, in room: String) async throws -> LiveAnswerState? {
        Self.liveState(try await run(ChatLedgerScripts.end, [room, stream]))
    }

    public func requestStop(in room: String) async throws -> Bool {
        try await run(ChatLedgerScripts.stop, [room]).integer == 1
    }

    // MARK: Settings

    /// Changes a room's settings with a compare-and-set, retried while another node changes them too.
    private func update<Value: Sendable>(
        _ name: String, _ change: (inout Room) -> LedgerOutcome<Value>
    ) async throws -> LedgerOutcome<Value> {
        let key = keys.meta(name)
        for _ in 0..<16 {
            guard let current = try await pool.send(RedisCommand("GET", key)).checked("GET").bytes else { return .notFound }
            var room = try ChatRecordCoding.room(named: name, from: current)
            let outcome = change(&room)
            guard case .done = outcome else { return outcome }
            let reply = try await run(ChatLedgerScripts.replaceMeta, [Array(name.utf8), current, try ChatRecordCoding.encode(room)])
            switch reply.string {
            case "ok": return outcome
            case "notfound": return .notFound
            default: continue
            }
        }
        throw StreamingError.protocol("room \"\(name)\" kept changing; its settings were not changed")
    }

    public func handOff(_ room: String, to agent: String, requireSpecialist: Bool) async throws -> LedgerOutcome<String?> {
        try await update(room) { settings in
            if requireSpecialist, !settings.specialists.contains(agent) { return .notFound }
            if settings.agent == agent { return .exists }
            let previous = settings.agent
            settings.agent = agent
            if !settings.specialists.contains(agent) { settings.specialists.append(agent) }
            return .done(previous)
        }
    }

    public func addAgent(_ agent: String, to room: String) async throws -> LedgerOutcome<Room> {
        try await update(room) { settings in
            if settings.specialists.contains(agent) { return .exists }
            settings.specialists.append(agent)
            if settings.agent == nil { settings.agent = agent }
            return .done(settings)
        }
    }

    // MARK: Nodes

    public func heartbeat() async throws -> Bool {
        try await beat(ChatLedgerScripts.heartbeat, [nodeID]).integer == 1
    }

    public func reap(silentFor: Duration) async throws -> [ReapedRoom] {
        try Self.reaped(try await beat(ChatLedgerScripts.reap, [nodeID, String(silentFor.milliseconds)]))
    }

    public func restart() async throws -> [ReapedRoom] {
        try Self.reaped(try await beat(ChatLedgerScripts.restart, [nodeID]))
    }

    private static func reaped(_ reply: RedisReply) throws -> [ReapedRoom] {
        try (reply.array ?? []).map { entry in
            let parts = entry.array ?? []
            guard parts.count == 4, let room = parts[0].string else { throw StreamingError.protocol("malformed reap reply") }
            let members = try (parts[2].array ?? []).compactMap(\.bytes).map(decodeMember)
            return ReapedRoom(room: room, members: members, answer: Self.liveState(parts[3]), answerNow: parts[1].integer == 1)
        }
    }

    public func leaveCluster() async throws {
        _ = try await beat(ChatLedgerScripts.leaveCluster, [nodeID])
    }
}
