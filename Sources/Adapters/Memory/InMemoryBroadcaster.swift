import StreamingApplication
import Synchronization

/// The nodes of a cluster that live in one process: what their ``InMemoryBroadcaster``s
/// publish through. For tests of cluster behaviour without Redis, and for several hubs
/// embedded in one program.
public final class InMemoryBroadcastBus: Sendable {
    private let nodes = Mutex<[String: InMemoryBroadcaster]>([:])

    public init() {}

    func join(_ node: InMemoryBroadcaster) {
        nodes.withLock { $0[node.nodeID] = node }
    }

    func leave(_ nodeID: String) {
        _ = nodes.withLock { $0.removeValue(forKey: nodeID) }
    }

    /// Hands `message` to every node that receives its topic, the publisher included, as
    /// Redis Pub/Sub does.
    func publish(_ message: BroadcastMessage) {
        for node in nodes.withLock({ Array($0.values) }) { node.receive(message) }
    }
}

/// A ``Broadcaster`` between the hubs of one process, over an ``InMemoryBroadcastBus``:
/// delivery is immediate and nothing is lost, so it shows what the cluster logic does,
/// apart from any network.
public final class InMemoryBroadcaster: Broadcaster {
    public let nodeID: String
    private let bus: InMemoryBroadcastBus
    public let messages: AsyncStream<BroadcastMessage>
    private let continuation: AsyncStream<BroadcastMessage>.Continuation

    private struct State {
        var topics: Set<BroadcastTopic> = []
        var published = 0
        var relayed = 0
    }

    private let state = Mutex(State())

    /// A node named `nodeID` on `bus`.
    public init(nodeID: String, bus: InMemoryBroadcastBus) {
        self.nodeID = nodeID
        self.bus = bus
        (messages, continuation) = AsyncStream.makeStream()
        bus.join(self)
    }

    public func publish(_ frame: OutboundFrame, to topic: BroadcastTopic) {
        state.withLock { $0.published += 1 }
        bus.publish(BroadcastMessage(topic: topic, origin: nodeID, frame: frame))
    }

    public func subscribe(_ topic: BroadcastTopic, whenReady: @escaping @Sendable () -> Void) -> Bool {
        _ = state.withLock { $0.topics.insert(topic) }
        return true
    }

    public func unsubscribe(_ topic: BroadcastTopic) {
        _ = state.withLock { $0.topics.remove(topic) }
    }

    func receive(_ message: BroadcastMessage) {
        let wanted = state.withLock { state -> Bool in
            guard state.topics.contains(message.topic) else { return false }
            if message.origin != nodeID { state.relayed += 1 }
            return true
        }
        if wanted { continuation.yield(message) }
    }

    /// Stays on the bus until the calling task is cancelled, then leaves it.
    public func run() async {
        await withTaskCancellationHandler {
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
        } onCancel: {
            bus.leave(nodeID)
            continuation.finish()
        }
    }

    public var stats: BroadcasterStats {
        state.withLock { state in
            BroadcasterStats(subscriptions: state.topics.count, published: state.published, relayed: state.relayed)
        }
    }
}
