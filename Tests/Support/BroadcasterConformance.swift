import StreamingApplication
import Synchronization

/// The behaviour every ``Broadcaster`` backend must have, written once and run against the
/// in-memory bus and Redis Pub/Sub. Each case gets a factory that makes nodes of one fresh
/// cluster (nodes of different cases never meet).
///
/// In a test target:
/// ```swift
/// @Test(arguments: BroadcasterConformance.cases)
/// func conformance(_ check: BroadcasterConformance.Case) async throws {
///     try await check.run { nodeID in makeNode(nodeID, cluster) }
/// }
/// ```
public enum BroadcasterConformance {
    public typealias Factory = @Sendable (_ nodeID: String) async throws -> any Broadcaster

    public struct Case: Sendable, CustomStringConvertible {
        public let name: String
        let body: @Sendable (Cluster) async throws -> Void

        public var description: String { name }

        /// Runs the case on nodes made by `makeNode`, each running until the case ends.
        public func run(makeNode: @escaping Factory) async throws {
            let cluster = Cluster(makeNode: makeNode)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await cluster.runNodes() }
                defer { group.cancelAll() }
                try await body(cluster)
                cluster.stop()
            }
        }
    }

    /// What a failed check throws.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    static func check(_ condition: Bool, _ message: @autoclosure () -> String, line: Int = #line) throws {
        if !condition { throw Failure(description: "line \(line): \(message())") }
    }

    /// The nodes of one case, each running and recording what it receives.
    public final class Cluster: Sendable {
        let makeNode: Factory
        private let nodes = Mutex<[Node]>([])
        private let added = AsyncStream<Node>.makeStream()

        init(makeNode: @escaping Factory) { self.makeNode = makeNode }

        /// A new running node.
        func node(_ id: String) async throws -> Node {
            let node = Node(broadcaster: try await makeNode(id))
            nodes.withLock { $0.append(node) }
            added.continuation.yield(node)
            return node
        }

        func runNodes() async {
            await withDiscardingTaskGroup { group in
                for await node in added.stream {
                    group.addTask { await node.broadcaster.run() }
                    group.addTask { await node.record() }
                }
                group.cancelAll()
            }
        }

        func stop() { added.continuation.finish() }
    }

    /// A running node and what it received.
    final class Node: Sendable {
        let broadcaster: any Broadcaster
        private let received = Mutex<[BroadcastMessage]>([])

        init(broadcaster: any Broadcaster) { self.broadcaster = broadcaster }

        func record() async {
            for await message in broadcaster.messages { received.withLock { $0.append(message) } }
        }

        /// Subscribes and waits until the subscription is in place.
        func subscribe(_ topic: BroadcastTopic) async throws {
            let ready = Flag()
            if broadcaster.subscribe(topic, whenReady: { ready.set() }) { return }
            try await waitUntil("\(broadcaster.nodeID) to receive \(topic)") { ready.isSet }
        }

        func publish(_ text: String, to topic: BroadcastTopic) {
            broadcaster.publish(OutboundFrame(text: text), to: topic)
        }

        /// The texts received on `topic` from nodes other than this one.
        func texts(on topic: BroadcastTopic, from origin: String? = nil) -> [String] {
            received.withLock { messages in
                messages.filter { $0.topic == topic && (origin == nil || $0.origin == origin) }.map(\.frame.text)
            }
        }

        func waitForTexts(on topic: BroadcastTopic, count: Int, from origin: String? = nil) async throws -> [String] {
            try await waitUntil("\(broadcaster.nodeID) to receive \(count) frames on \(topic)") {
                self.texts(on: topic, from: origin).count >= count
            }
            return texts(on: topic, from: origin)
        }
    }

    static let numbered = (1...300).map { "{\"n\":\($0)}" }

    public static let cases: [Case] = [
        Case(name: "a publish reaches every node that serves the topic, in the publisher's order, marked with its origin") {
            cluster in
            let a = try await cluster.node("node-a")
            let b = try await cluster.node("node-b")
            let c = try await cluster.node("node-c")
            try await b.subscribe(.channel("prices"))
            try await c.subscribe(.channel("prices"))
            for text in numbered { a.publish(text, to: .channel("prices")) }
            let atB = try await b.waitForTexts(on: .channel("prices"), count: numbered.count, from: "node-a")
            let atC = try await c.waitForTexts(on: .channel("prices"), count: numbered.count, from: "node-a")
            try check(atB == numbered, "node b got \(atB.count) frames, out of order or repeated")
            try check(atC == numbered, "node c got \(atC.count) frames, out of order or repeated")
            // Node a serves no subscriber of the channel: nothing of it reaches a.
            try check(a.texts(on: .channel("prices")).isEmpty, "a node received a channel it does not serve")
        },
        Case(name: "after unsubscribe a node receives nothing more of the topic") { cluster in
            let a = try await cluster.node("node-a")
            let b = try await cluster.node("node-b")
            try await b.subscribe(.channel("news"))
            try await b.subscribe(.channel("marker"))
            a.publish("before", to: .channel("news"))
            _ = try await b.waitForTexts(on: .channel("news"), count: 1)
            b.broadcaster.unsubscribe(.channel("news"))
            // A subscribe elsewhere confirms the unsubscribe went first (one connection, in order).
            try await b.subscribe(.channel("marker-2"))
            a.publish("after", to: .channel("news"))
            a.publish("done", to: .channel("marker"))
            _ = try await b.waitForTexts(on: .channel("marker"), count: 1)
            try check(b.texts(on: .channel("news")) == ["before"], "got \(b.texts(on: .channel("news")))")
        },
        Case(name: "everyone reaches every node, and two publishers keep their own order") { cluster in
            let a = try await cluster.node("node-a")
            let b = try await cluster.node("node-b")
            let c = try await cluster.node("node-c")
            for node in [a, b, c] { try await node.subscribe(.everyone) }
            let fromA = (1...100).map { "{\"a\":\($0)}" }
            let fromB = (1...100).map { "{\"b\":\($0)}" }
            for index in 0..<100 {
                a.publish(fromA[index], to: .everyone)
                b.publish(fromB[index], to: .everyone)
            }
            let atC = try await c.waitForTexts(on: .everyone, count: 200)
            try check(atC.filter { $0.hasPrefix("{\"a\"") } == fromA, "a's frames out of order at c")
            try check(atC.filter { $0.hasPrefix("{\"b\"") } == fromB, "b's frames out of order at c")
            try check(try await b.waitForTexts(on: .everyone, count: 100, from: "node-a") == fromA, "a's frames at b")
        },
        Case(name: "subscribing again after an unsubscribe is ready again, and counted once") { cluster in
            let a = try await cluster.node("node-a")
            let b = try await cluster.node("node-b")
            try await b.subscribe(.channel("flip"))
            b.broadcaster.unsubscribe(.channel("flip"))
            try await b.subscribe(.channel("flip"))
            a.publish("x", to: .channel("flip"))
            try check(try await b.waitForTexts(on: .channel("flip"), count: 1) == ["x"], "the second subscription is live")
            try await waitUntil("the subscription count to settle") {
                b.broadcaster.stats.subscriptions == 1
            }
        },
    ]
}
