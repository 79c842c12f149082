import DequeModule
import Logging
import StreamingApplication
import Synchronization

/// A ``Broadcaster`` over Redis Pub/Sub: the nodes of a cluster share channel messages
/// through one Redis server.
///
/// Two connections of its own: one in Pub/Sub mode (``RedisSubscriber``, on its own thread)
/// and one that publishes. ``publish(_:to:)`` only queues: a task writes the queue in
/// pipelined batches (one round trip per batch), in order, so each node's messages keep
/// their order on every node. While Redis is unreachable the queue holds up to
/// `maxPending` frames and is written once it is back; beyond that the oldest are dropped,
/// counted in ``BroadcasterStats/dropped`` and logged.
///
/// Channels: a channel `name` is the Redis channel `<namespace>:ch:<name>`, a broadcast to
/// everyone `<namespace>:all` (the namespace is `raaf` unless given; clusters with different
/// namespaces share nothing). A payload is the publishing node's id, a newline, and the
/// frame's JSON.
public final class RedisBroadcaster: Broadcaster {
    public let nodeID: String
    public let messages: AsyncStream<BroadcastMessage>
    private let continuation: AsyncStream<BroadcastMessage>.Continuation
    private let subscriber: RedisSubscriber
    private let publisher: RedisConnection
    private let maxPending: Int
    private let logger: Logger
    private let wakeup = Wakeup()
    private let channelPrefix: String
    private let everyoneChannel: String

    private struct Outbox {
        var frames: Deque<(channel: String, frame: OutboundFrame)> = []
        var published = 0
        var dropped = 0
    }

    private let outbox = Mutex(Outbox())
    /// Frames received from other nodes; shared with the subscriber's handler.
    private let relayed = Counter()

    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    /// A node named `nodeID` of the cluster that shares the Redis server of `configuration`.
    /// Nothing connects until ``run()``.
    /// - Parameters:
    ///   - namespace: The prefix of the cluster's Redis channels.
    ///   - maxPending: The most frames queued while Redis is slow or unreachable.
    public init(
        configuration: RedisConfiguration, nodeID: String, namespace: String = "raaf", maxPending: Int = 10_000,
        logger: Logger
    ) {
        self.nodeID = nodeID
        let channelPrefix = namespace + ":ch:"
        let everyoneChannel = namespace + ":all"
        self.channelPrefix = channelPrefix
        self.everyoneChannel = everyoneChannel
        self.maxPending = max(1, maxPending)
        self.logger = logger
        self.publisher = RedisConnection(configuration: configuration, name: "raaf-redis-pub")
        let (messages, continuation) = AsyncStream<BroadcastMessage>.makeStream(bufferingPolicy: .bufferingOldest(65_536))
        self.messages = messages
        self.continuation = continuation
        let relayed = self.relayed
        let ownPrefix = Array((nodeID + "\n").utf8)
        self.subscriber = RedisSubscriber(configuration: configuration, name: "raaf-redis-sub", logger: logger) {
            channel, payload in
            // Redis hands a publish to every subscribed connection, this node's included: this
            // node delivered it already, so drop it before decoding or waking the hub.
            if payload.starts(with: ownPrefix) { return }
            guard
                let message = Self.decode(
                    channel: channel, payload: payload, channelPrefix: channelPrefix, everyoneChannel: everyoneChannel)
            else { return }
            relayed.value.add(1, ordering: .relaxed)
            if case .dropped = continuation.yield(message) {
                logger.warning("a relayed frame was dropped: the hub is behind", metadata: ["topic": "\(message.topic)"])
            }
        }
    }

    public func publish(_ frame: OutboundFrame, to topic: BroadcastTopic) {
        let overflow = outbox.withLock { outbox -> Bool in
            outbox.frames.append((channel(for: topic), frame))
            guard outbox.frames.count > maxPending else { return false }
            outbox.frames.removeFirst()
            outbox.dropped += 1
            return true
        }
        if overflow { logger.warning("Redis is unreachable and the publish queue is full: the oldest frame was dropped") }
        wakeup.wake()
    }

    public func subscribe(_ topic: BroadcastTopic, whenReady: @escaping @Sendable () -> Void) -> Bool {
        subscriber.subscribe(channel(for: topic), whenReady: whenReady)
    }

    public func unsubscribe(_ topic: BroadcastTopic) {
        subscriber.unsubscribe(channel(for: topic))
    }

    /// Connects, then writes queued publishes until the calling task is cancelled; then
    /// closes both connections.
    public func run() async {
        subscriber.start()
        var backoff: Duration = .milliseconds(50)
        while !Task.isCancelled {
            let batch = outbox.withLock { outbox in Array(outbox.frames.prefix(Self.batchSize)) }
            if batch.isEmpty {
                await wakeup.wait(cancellable: true)
                continue
            }
            let commands = batch.map { channel, frame in
                var command = RedisCommand("PUBLISH", channel)
                command.append(Self.payload(origin: nodeID, frame: frame))
                return command
            }
            do {
                _ = try await publisher.pipeline(commands)
                backoff = .milliseconds(50)
                outbox.withLock { outbox in
                    // Only this task removes from the front, so the batch is still there.
                    outbox.frames.removeFirst(min(batch.count, outbox.frames.count))
                    outbox.published += batch.count
                }
            } catch {
                logger.warning("publishing to Redis failed; retrying", metadata: ["error": "\(error)", "queued": "\(batch.count)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(1))
            }
        }
        await subscriber.stop()
        await publisher.close()
        continuation.finish()
    }

    public var stats: BroadcasterStats {
        let (pending, published, dropped) = outbox.withLock { ($0.frames.count, $0.published, $0.dropped) }
        let relayed = relayed.value.load(ordering: .relaxed)
        return BroadcasterStats(
            connected: subscriber.isConnected, subscriptions: subscriber.subscriptions, published: published,
            pending: pending, relayed: relayed, dropped: dropped, disconnects: subscriber.disconnects)
    }

    /// Publishes written per round trip at most.
    static let batchSize = 256

    func channel(for topic: BroadcastTopic) -> String {
        switch topic {
        case .channel(let name): channelPrefix + name
        case .everyone: everyoneChannel
        }
    }

    static func payload(origin: String, frame: OutboundFrame) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(origin.utf8.count + 1 + frame.bytes.count)
        bytes.append(contentsOf: origin.utf8)
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: frame.bytes)
        return bytes
    }

    static func decode(channel: [UInt8], payload: [UInt8], channelPrefix: String, everyoneChannel: String)
        -> BroadcastMessage?
    {
        let name = String(decoding: channel, as: UTF8.self)
        let topic: BroadcastTopic
        if name == everyoneChannel {
            topic = .everyone
        } else if name.hasPrefix(channelPrefix) {
            topic = .channel(String(name.dropFirst(channelPrefix.count)))
        } else {
            return nil
        }
        guard let newline = payload.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let origin = String(decoding: payload[..<newline], as: UTF8.self)
        return BroadcastMessage(topic: topic, origin: origin, frame: OutboundFrame(bytes: Array(payload[(newline + 1)...])))
    }
}
