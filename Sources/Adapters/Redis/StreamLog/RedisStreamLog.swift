import Logging
import StreamingApplication
import StreamingDomain
import Synchronization

/// A ``StreamLog`` in Redis: a Redis Stream per agent stream, with a hash of its record and a
/// lease key, changed only by the atomic scripts of ``StreamLogScripts``. Appends of a batch
/// are one round trip (one `EVALSHA`), which also publishes the batch to the stream's
/// followers on every node.
///
/// Connections: commands go through a ``RedisConnectionPool`` (`REDIS_POOL_SIZE`); follows
/// and cancel requests use one Pub/Sub connection of its own (``RedisSubscriber``), which
/// reconnects and subscribes again by itself. What Pub/Sub misses while it reconnects,
/// followers read from the log (the mirror's watch notices the record moved on).
public final class RedisStreamLog: StreamLog {
    public let options: StreamLogOptions
    private let pool: RedisConnectionPool
    private let subscriber: RedisSubscriber
    private let namespace: String
    private let routes: Routes

    /// Followers and cancel listeners by Pub/Sub channel; shared with the subscriber's handler.
    private final class Routes: Sendable {
        let followers = Listeners<[StreamFrame]>()
        let cancels = Listeners<String>()

        func deliver(channel: String, payload: [UInt8]) {
            let followers = followers.listeners(of: channel)
            if !followers.isEmpty, let frames = RedisStreamLog.decodeBatch(payload) {
                for follower in followers { follower.yield(frames) }
            }
            let cancels = cancels.listeners(of: channel)
            if !cancels.isEmpty {
                let id = String(decoding: payload, as: UTF8.self)
                for listener in cancels { listener.yield(id) }
            }
        }
    }

    /// The streams handed out for each Pub/Sub channel; the channel is subscribed while it
    /// has one.
    ///
    /// The channel is wanted from the subscriber inside the lock that counts its streams, and
    /// given up inside it when the last one ends: the subscriber gets the (un)subscribes in
    /// the order of the count, so a stream added just as the last one ends is never left
    /// with its channel unsubscribed.
    private final class Listeners<Element: Sendable>: Sendable {
        private let state = Mutex<(byChannel: [String: [Int: AsyncStream<Element>.Continuation]], nextID: Int)>(([:], 0))

        func listeners(of channel: String) -> [AsyncStream<Element>.Continuation] {
            state.withLock { Array($0.byChannel[channel, default: [:]].values) }
        }

        /// A new stream of `channel`'s messages, once `subscriber` is subscribed to it; the
        /// channel is unsubscribed when the last stream ends.
        ///
        /// - Throws: ``StreamingError/connection(_:)`` when Redis did not confirm the channel.
        func add(_ channel: String, on subscriber: RedisSubscriber) async throws -> AsyncStream<Element> {
            let (stream, continuation) = AsyncStream<Element>.makeStream()
            let key = state.withLock { state in
                state.nextID += 1
                return state.nextID
            }
            continuation.onTermination = { [self] _ in
                state.withLock { state in
                    guard state.byChannel[channel]?.removeValue(forKey: key) != nil,
                        state.byChannel[channel]?.isEmpty == true
                    else { return }
                    state.byChannel[channel] = nil
                    subscriber.unsubscribe(channel)
                }
            }
            do {
                try await subscriber.awaitConfirmation(of: channel) { whenReady in
                    state.withLock { state in
                        state.byChannel[channel, default: [:]][key] = continuation
                        return subscriber.subscribe(channel, whenReady: whenReady)
                    }
                }
            } catch {
                continuation.finish()
                throw error
            }
            return stream
        }
    }

    /// A log on the server of `configuration`, in `namespace`, with `connections` pooled
    /// connections for commands. Nothing connects until it is used.
    public init(
        configuration: RedisConfiguration, namespace: String = "raaf", options: StreamLogOptions = StreamLogOptions(),
        connections: Int = 4, logger: Logger
    ) {
        self.options = options
        self.namespace = namespace
        self.pool = RedisConnectionPool(configuration: configuration, size: connections, name: "raaf-streams")
        let routes = Routes()
        self.routes = routes
        self.subscriber = RedisSubscriber(configuration: configuration, name: "raaf-redis-log", logger: logger) {
            channel, payload in
            routes.deliver(channel: String(decoding: channel, as: UTF8.self), payload: payload)
        }
        subscriber.start()
    }

    /// Stops the Pub/Sub connection and closes the pool.
    public func close() async {
        await subscriber.stop()
        await pool.close()
    }

    // MARK: Keys

    private func keys(_ id: String) -> (meta: String, log: String, lease: String) {
        let base = "\(namespace):st:{\(id)}"
        return (base + ":meta", base + ":log", base + ":lease")
    }

    private func channel(_ id: String) -> String { "\(namespace):st:\(id)" }
    private func nodeChannel(_ node: String) -> String { "\(namespace):node:\(node)" }

    /// A `PX`/`PEXPIRE` argument: at least 1, since Redis refuses 0.
    private static func milliseconds(_ duration: Duration) -> String {
        String(max(1, duration.milliseconds))
    }

    private var expiry: Duration { options.lease + options.retention }

    // MARK: StreamLog

    public func create(_ record: StreamRecord) async throws -> Bool {
        let keys = keys(record.id)
        let command = StreamLogScripts.create.command(
            keys: [keys.meta, keys.lease],
            arguments: [
                record.node, record.agentName, record.input, record.owner ?? "", record.owner == nil ? "0" : "1",
                Self.milliseconds(options.lease), Self.milliseconds(expiry),
            ])
        let reply = try await pool.withConnection { try await $0.evaluate(StreamLogScripts.create, command) }
        return reply.integer == 1
    }

    public func append(_ frames: [StreamFrame], to id: String, node: String, final: Bool) async throws {
        let keys = keys(id)
        var command = StreamLogScripts.append.command(
            keys: [keys.meta, keys.log, keys.lease],
            arguments: [
                node, Self.milliseconds(options.lease), Self.milliseconds(expiry), String(options.maxFrames),
                final ? "1" : "0", Self.milliseconds(options.retention), channel(id),
            ])
        for frame in frames {
            command.append(frame.seq)
            command.append(frame.type)
            command.append(frame.frame.bytes)
        }
        let reply = try await pool.withConnection { try await $0.evaluate(StreamLogScripts.append, command) }
        try Self.check(reply, id: id)
    }

    public func renew(_ id: String, node: String) async throws {
        let keys = keys(id)
        let command = StreamLogScripts.renew.command(
            keys: [keys.meta, keys.log, keys.lease],
            arguments: [node, Self.milliseconds(options.lease), Self.milliseconds(expiry)])
        let reply = try await pool.withConnection { try await $0.evaluate(StreamLogScripts.renew, command) }
        try Self.check(reply, id: id)
    }

    private static func check(_ reply: RedisReply, id: String) throws {
        switch reply.integer {
        case -1: throw StreamLogError.fenced(id)
        case -2: throw StreamLogError.missing(id)
        case .some: return
        case nil: throw StreamingError.protocol("stream log: unexpected reply \(reply)")
        }
    }

    public func record(_ id: String) async throws -> StreamRecord? {
        let keys = keys(id)
        let replies = try await pool.pipeline([RedisCommand("HGETALL", keys.meta), RedisCommand("EXISTS", keys.lease)])
        guard let fields = try replies[0].checked("HGETALL").array, !fields.isEmpty else { return nil }
        var values: [String: String] = [:]
        for index in stride(from: 0, to: fields.count - 1, by: 2) {
            if let key = fields[index].string, let value = fields[index + 1].string { values[key] = value }
        }
        guard let node = values["node"], let state = values["state"] else { return nil }
        let finished = state == "finished"
        return StreamRecord(
            id: id, agentName: values["agent"] ?? "", input: values["input"] ?? "", owner: values["owner"], node: node,
            lastSeq: Int(values["last_seq"] ?? "") ?? 0, isFinished: finished,
            isLeased: !finished && replies[1].integer == 1)
    }

    public func frames(of id: String, after seq: Int, limit: Int) async throws -> [StreamFrame] {
        let reply = try await pool.send(RedisCommand("XRANGE", keys(id).log, "(0-\(seq)", "+", "COUNT", String(max(1, limit))))
        guard let entries = try reply.checked("XRANGE").array else { return [] }
        return entries.compactMap { entry -> StreamFrame? in
            guard let parts = entry.array, parts.count == 2, let entryID = parts[0].string,
                let seq = Int(entryID.dropFirst(2)), let fields = parts[1].array, fields.count == 4,
                let type = fields[1].string, let bytes = fields[3].bytes
            else { return nil }
            return StreamFrame(seq: seq, type: type, frame: OutboundFrame(bytes: bytes))
        }
    }

    public func markLost(_ id: String, expectedLastSeq: Int, frame: StreamFrame) async throws -> Bool {
        let keys = keys(id)
        var command = StreamLogScripts.markLost.command(
            keys: [keys.meta, keys.log, keys.lease], arguments: [String(expectedLastSeq), String(frame.seq), frame.type])
        command.append(frame.frame.bytes)
        command.append(Self.milliseconds(options.retention))
        command.append(options.maxFrames)
        command.append(channel(id))
        let reply = try await pool.withConnection { try await $0.evaluate(StreamLogScripts.markLost, command) }
        return reply.integer == 1
    }

    public func follow(_ id: String) async throws -> AsyncStream<[StreamFrame]> {
        return try await routes.followers.add(channel(id), on: subscriber)
    }

    public func requestCancel(_ id: String, on node: String) async throws {
        var command = RedisCommand("PUBLISH", nodeChannel(node))
        command.append(id)
        _ = try await pool.send(command).checked("PUBLISH")
    }

    public func cancelRequests(for node: String) async throws -> AsyncStream<String> {
        try await routes.cancels.add(nodeChannel(node), on: subscriber)
    }

    /// Splits a published batch (`<seq> <type> <length>\n<frame>` repeated); `nil` if malformed.
    static func decodeBatch(_ payload: [UInt8]) -> [StreamFrame]? {
        var frames: [StreamFrame] = []
        var index = payload.startIndex
        while index < payload.endIndex {
            guard let newline = payload[index...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            let header = payload[index..<newline].split(separator: UInt8(ascii: " "))
            guard header.count == 3, let seq = Int(String(decoding: header[0], as: UTF8.self)),
                let length = Int(String(decoding: header[2], as: UTF8.self)), length >= 0,
                newline + 1 + length <= payload.endIndex
            else { return nil }
            let body = Array(payload[(newline + 1)..<(newline + 1 + length)])
            frames.append(StreamFrame(seq: seq, type: String(decoding: header[1], as: UTF8.self), frame: OutboundFrame(bytes: body)))
            index = newline + 1 + length
        }
        return frames
    }
}
