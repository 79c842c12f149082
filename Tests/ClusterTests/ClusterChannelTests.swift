import Foundation
import Logging
import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingRedis
import StreamingRedisTestSupport
import StreamingTestSupport
import Testing

/// Channels across the nodes of a cluster: hubs in this process, each with Redis connections
/// of its own (a Pub/Sub connection and a publisher), against one real redis-server.
@Suite(
    "Channels across nodes", .enabled(if: SharedRedisServer.isAvailable, "needs redis-server on PATH or REDIS_URL"))
struct ClusterChannelTests {
    @Test("a publish on node 1 reaches the subscribers on nodes 1, 2 and 3 once each, in order; others get nothing")
    func publishAcrossNodes() async throws {
        try await withCluster(nodes: 3) { cluster in
            let sender = try cluster.client(on: 0)
            let second = try cluster.client(on: 1)
            let third = try cluster.client(on: 2)
            let bystander = try cluster.client(on: 2)
            for client in [sender, second, third] { try await client.subscribe("prices") }

            for n in 1...50 { sender.send(#"{"type":"publish","channel":"prices","data":{"n":\#(n)}}"#) }

            for client in [sender, second, third] {
                let numbers = try await client.waitForMessages(on: "prices", count: 50)
                #expect(numbers == Array(1...50), "client on node \(client.node) got \(numbers)")
            }
            // From the sender's connection, on every node.
            #expect(third.sink.messages(ofType: "message").first?["from"]?.stringValue == sender.connection.id.rawValue)
            #expect(bystander.sink.messages(ofType: "message").isEmpty)
        }
    }

    @Test("a node subscribes in Redis only to channels it serves, and stops when the last subscriber leaves")
    func subscribesOnlyToServedChannels() async throws {
        try await withCluster(nodes: 3) { cluster in
            let redisChannel = "\(cluster.namespace):ch:quotes"
            let onFirst = try cluster.client(on: 0)
            let onSecond = try cluster.client(on: 1)
            let alsoOnSecond = try cluster.client(on: 1)
            try await onFirst.subscribe("quotes")
            try await onSecond.subscribe("quotes")
            try await alsoOnSecond.subscribe("quotes")
            #expect(try await Self.subscribers(redisChannel) == 2, "one Redis subscription per node that serves the channel")

            let before = cluster.hubs[2].stats.cluster?.relayed ?? -1
            onFirst.send(#"{"type":"publish","channel":"quotes","data":1}"#)
            _ = try await onSecond.waitForMessages(on: "quotes", count: 1)
            #expect(cluster.hubs[2].stats.cluster?.relayed == before, "node 3 serves no subscriber of the channel")

            onSecond.send(#"{"type":"unsubscribe","channel":"quotes"}"#)
            try await waitUntil("unsubscribed on node 2") { !onSecond.sink.messages(ofType: "unsubscribed").isEmpty }
            // A message published after the unsubscribe still reaches node 2's other subscriber
            // through Redis: node 2 kept its subscription (a leave is sent to Redis asynchronously,
            // so a count taken right after the unsubscribe would prove nothing).
            onFirst.send(#"{"type":"publish","channel":"quotes","data":2}"#)
            #expect(try await alsoOnSecond.waitForMessages(on: "quotes", count: 2) == [1, 2])
            #expect(onSecond.numbers(on: "quotes") == [1], "no message after the unsubscribe")
            #expect(try await Self.subscribers(redisChannel) == 2, "node 2 still has a subscriber")
            cluster.hubs[1].disconnect(alsoOnSecond.connection)
            cluster.hubs[0].disconnect(onFirst.connection)
            try await waitUntil("every node to leave the Redis channel") {
                (try? await Self.subscribers(redisChannel)) == 0
            }
        }
    }

    @Test("a broadcast to all reaches every connection on every node")
    func broadcastToAllSpansNodes() async throws {
        try await withCluster(nodes: 3) { cluster in
            let clients = try (0..<3).map { try cluster.client(on: $0) }
            // Every node receives `everyone` from the start of its run.
            try await waitUntil("every node to receive broadcasts") {
                cluster.hubs.allSatisfy { ($0.stats.cluster?.subscriptions ?? 0) >= 1 }
            }
            let delivered = cluster.hubs[1].broadcastToAll(OutboundFrame(text: #"{"type":"notice","text":"maintenance at noon"}"#))
            #expect(delivered == 1, "the local delivery counts this node's connections only")
            for client in clients {
                try await waitUntil("the notice on node \(client.node)") { !client.sink.messages(ofType: "notice").isEmpty }
                #expect(client.sink.messages(ofType: "notice").count == 1)
            }
        }
    }

    static func subscribers(_ redisChannel: String) async throws -> Int {
        let reply = try await SharedRedisServer.raw("PUBSUB", "NUMSUB", redisChannel)
        return Int(reply.array?.last?.integer ?? -1)
    }
}

/// Hubs in this process as the nodes of one cluster, each running until the test ends.
struct TestCluster: Sendable {
    let namespace: String
    let hubs: [ConnectionHub]

    func client(on node: Int) throws -> ClusterClient {
        let sink = RecordingSink()
        let connection = try #require(hubs[node].connect(sink))
        return ClusterClient(node: node, hub: hubs[node], connection: connection, sink: sink)
    }
}

/// A client of one node, through a recording transport.
struct ClusterClient: Sendable {
    let node: Int
    let hub: ConnectionHub
    let connection: Connection
    let sink: RecordingSink

    func send(_ text: String) { hub.receive(text: text, from: connection) }

    /// Subscribes and waits for `subscribed`, which a node sends once Redis confirmed.
    func subscribe(_ channel: String) async throws {
        send(#"{"type":"subscribe","channel":"\#(channel)"}"#)
        try await waitUntil("subscribed to \(channel) on node \(node)") {
            sink.messages(ofType: "subscribed").contains { $0["channel"]?.stringValue == channel }
        }
    }

    /// The integer `data` of the `message` frames of `channel`, once there are `count`.
    func waitForMessages(on channel: String, count: Int) async throws -> [Int] {
        try await waitUntil("\(count) messages on \(channel) at node \(node)") { numbers(on: channel).count >= count }
        return numbers(on: channel)
    }

    func numbers(on channel: String) -> [Int] {
        sink.messages(ofType: "message").filter { $0["channel"]?.stringValue == channel }.compactMap {
            $0["data"]?["n"]?.intValue ?? $0["data"]?.intValue
        }
    }
}

/// Runs `body` with `nodes` hubs on the shared Redis, in a namespace of their own.
func withCluster(
    nodes: Int, url: String? = nil, _ body: @Sendable (TestCluster) async throws -> Void
) async throws {
    let url = if let url { url } else { try await SharedRedisServer.url() }
    let namespace = SharedRedisServer.freshNamespace("cluster")
    let hubs = try (0..<nodes).map { index in
        ConnectionHub(
            streams: AgentStreamService(runner: AgentRunner(provider: ScriptedModelProvider()), agents: { _ in nil }),
            broadcaster: RedisBroadcaster(
                configuration: try RedisConfiguration(url: url), nodeID: "node-\(index + 1)", namespace: namespace,
                logger: Logger(label: "cluster-tests")))
    }
    try await withThrowingTaskGroup(of: Void.self) { group in
        for hub in hubs { group.addTask { await hub.run() } }
        defer { for hub in hubs { hub.shutdown() } }
        try await body(TestCluster(namespace: namespace, hubs: hubs))
    }
}
