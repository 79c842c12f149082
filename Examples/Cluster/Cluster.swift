// Two nodes of a cluster in one process: two `RealtimeServer`s that share one Redis
// (`REDIS_URL`), as two `raaf-streaming serve` processes behind a load balancer would. A
// client of node 1 publishes; a client of node 2 receives it. Then an agent stream runs on
// node 1 and is logged where every node can resume it.
//
//   REDIS_URL=redis://127.0.0.1:6379 swift run Cluster
//
// Without REDIS_URL there is no cluster to show: the example says so and ends.
import Foundation
import Logging
import RAAFStreaming
import StreamingWebSocket

@main
struct ClusterExample {
    static func main() async throws {
        guard let redis = ProcessInfo.processInfo.environment["REDIS_URL"], !redis.isEmpty else {
            print("Set REDIS_URL (redis-server --appendonly yes) to run two nodes of a cluster; skipped.")
            return
        }
        // 1. One variable makes a server a node: REDIS_URL. Each node gets its own name.
        let nodes = try (1...2).map { index in
            let system = try Streaming.configure(provider: ScriptedModelProvider()) { config in
                config.background.redisURL = redis
                config.server.nodeID = "example-node-\(index)"
                config.logging.level = .warning
            }
            return try RealtimeServer(
                system: system, host: "127.0.0.1", port: 0, handlesSignals: false)
        }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for node in nodes { tasks.addTask { try await node.run() } }
            let first = "ws://127.0.0.1:\(try await nodes[0].waitUntilListening())/ws"
            let second = "ws://127.0.0.1:\(try await nodes[1].waitUntilListening())/ws"
            print("node 1 on \(first), node 2 on \(second)")
            try await talkAcrossNodes(first, second)
            // 3. Each node's view of the cluster, as `/stats` shows it.
            if let cluster = nodes[1].hub.stats.cluster {
                print("node 2: redis connected \(cluster.connected), frames relayed from other nodes \(cluster.relayed)")
            }
            for node in nodes { await node.shutdown() }
            try await tasks.waitForAll()
        }
        print("Both nodes stopped.")
    }

    static func talkAcrossNodes(_ first: String, _ second: String) async throws {
        let logger = Logger(label: "cluster-example")
        let (messages, received) = AsyncStream<ServerMessage>.makeStream()
        try await WebSocketClient.withConnection(.init(url: second), logger: logger) { listener in
            listener.onMessage { message in
                if case .message = message { received.yield(message) }
            }
            // `subscribed` comes once node 2 receives the channel from every node.
            try await listener.subscribe("news")
            try await WebSocketClient.withConnection(.init(url: first), logger: logger) { publisher in
                try publisher.publish(channel: "news", data: ["headline": "published on node 1"])
                for await case .message(let channel, let data, _) in messages {
                    print("node 2 received [\(channel)] \(data.jsonString)")
                    break
                }
                // 2. A stream runs where it started (node 1); node 2 serves it from the shared log.
                let stream = try publisher.startAgentStream(agent: "assistant", input: "Tell me about streaming.")
                var text = ""
                for try await event in stream {
                    if case .content(let piece) = event.kind { text += piece }
                }
                print("node 1 streamed \(text.count) characters, logged in Redis: `resume` (or GET /v1/streams/{id}) works on any node")
            }
        }
        received.finish()
    }
}
