/// Carries channel messages between the nodes of a cluster: what lets a `publish` on one
/// server process reach subscribers connected to another.
///
/// A node (one ``ConnectionHub``) delivers to its own subscribers itself, at once, and hands
/// the same frame to the broadcaster for the other nodes. It tells the broadcaster which
/// topics it serves (``subscribe(_:whenReady:)`` when its first local subscriber arrives,
/// ``unsubscribe(_:)`` when the last leaves), so a node receives nothing for a channel it
/// does not serve. Messages from other nodes arrive on ``messages``; those this node
/// published itself may come back too, marked with its ``nodeID``, and are skipped.
///
/// Delivery is at most once, like Redis Pub/Sub, Socket.IO's Redis adapter and channels
/// without history in Centrifugo: a node that loses its connection to the bus misses what
/// was published meanwhile. Each node's messages keep their order on every node.
///
/// Implemented by `InMemoryBroadcaster` (nodes in one process, for tests and embedding) and
/// `RedisBroadcaster` (Redis Pub/Sub).
public protocol Broadcaster: Sendable {
    /// This node's name, unique in the cluster.
    var nodeID: String { get }

    /// Hands `frame` to every other node that serves `topic`, after every frame this node
    /// handed before it. Never waits: the frame is queued and written in the background.
    func publish(_ frame: OutboundFrame, to topic: BroadcastTopic)

    /// Makes sure this node receives `topic`.
    ///
    /// - Returns: `true` when it does already; otherwise `false`, and `whenReady` is called
    ///   once the subscription is in place (from any thread: it must not block).
    func subscribe(_ topic: BroadcastTopic, whenReady: @escaping @Sendable () -> Void) -> Bool

    /// Stops receiving `topic`.
    func unsubscribe(_ topic: BroadcastTopic)

    /// Messages for the topics this node serves, in the order the bus delivered them. One
    /// consumer: the hub.
    var messages: AsyncStream<BroadcastMessage> { get }

    /// Runs the broadcaster's connections until the calling task is cancelled.
    func run() async

    /// Figures for `/stats` and `/metrics`.
    var stats: BroadcasterStats { get }
}

/// What a broadcast goes to: one channel, or every connection of every node.
public enum BroadcastTopic: Hashable, Sendable, CustomStringConvertible {
    /// The subscribers of a named channel.
    case channel(String)
    /// Every connection (the server's `broadcast` to all).
    case everyone

    public var description: String {
        switch self {
        case .channel(let name): "channel \(name)"
        case .everyone: "everyone"
        }
    }
}

/// A frame another node (or this one) published.
public struct BroadcastMessage: Sendable {
    /// The topic it was published to.
    public let topic: BroadcastTopic
    /// The node that published it.
    public let origin: String
    /// The frame, already encoded.
    public let frame: OutboundFrame

    public init(topic: BroadcastTopic, origin: String, frame: OutboundFrame) {
        self.topic = topic
        self.origin = origin
        self.frame = frame
    }
}

/// Figures of a broadcaster.
public struct BroadcasterStats: Sendable, Hashable {
    /// Whether the connection to the bus is up now.
    public var connected: Bool
    /// Topics this node receives now.
    public var subscriptions: Int
    /// Frames handed to the bus.
    public var published: Int
    /// Frames waiting to be written to the bus.
    public var pending: Int
    /// Frames received from other nodes.
    public var relayed: Int
    /// Frames that could not be written to the bus (it stayed unreachable past the bound
    /// of the queue); each is also logged.
    public var dropped: Int
    /// Times the connection to the bus was lost.
    public var disconnects: Int

    public init(
        connected: Bool = true, subscriptions: Int = 0, published: Int = 0, pending: Int = 0,
        relayed: Int = 0, dropped: Int = 0, disconnects: Int = 0
    ) {
        self.connected = connected
        self.subscriptions = subscriptions
        self.published = published
        self.pending = pending
        self.relayed = relayed
        self.dropped = dropped
        self.disconnects = disconnects
    }
}
