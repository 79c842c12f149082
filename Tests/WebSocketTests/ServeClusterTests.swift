import Foundation
import Glibc
import StreamingRedisTestSupport
import StreamingTestSupport
import Testing

/// Three real `raaf-streaming serve` processes on loopback ports sharing one real
/// `redis-server` (append-only, so a killed server comes back with its writes), driven by an
/// independent client (Python's `websockets`, Interop/cluster.py): killed with SIGKILL,
/// paused with SIGSTOP, with Redis killed and restarted under them (issue 13).
@Suite(
    "serve as a cluster on Redis", .serialized, .needsPythonWebSockets,
    .enabled(if: SharedRedisServer.canStartServers, "needs redis-server on PATH"))
struct ServeClusterTests {
    /// A cluster of `count` nodes on `redis`, each on a paced model (~86 chunks of 60 ms).
    struct Cluster {
        let redis: RedisTestServer
        let nodes: [RunningChild]
        let urls: [String]

        var joinedURLs: String { urls.joined(separator: ",") }

        static func start(count: Int = 3, redis: RedisTestServer, pace: Int = 60) async throws -> Cluster {
            var nodes: [RunningChild] = []
            var urls: [String] = []
            for index in 1...count {
                let node = try ServeProcess.start(
                    ["--host", "127.0.0.1", "--port", "0"],
                    environment: [
                        // As a cluster runs: rooms and history in the Redis of the nodes.
                        "REDIS_URL": redis.url, "RAAF_NODE_ID": "node-\(index)", "CHAT_STORE": "redis",
                        "RAAF_SIMULATION_DELAY_MS": String(pace),
                    ])
                nodes.append(node)
                urls.append(try await ServeProcess.url(of: node).replacingOccurrences(of: "http://", with: "ws://") + "/ws")
            }
            return Cluster(redis: redis, nodes: nodes, urls: urls)
        }

        func stop() async {
            for node in nodes {
                node.send(SIGCONT)
                node.send(SIGKILL)
            }
        }
    }

    /// Runs `body` on three nodes (their model streams at `pace` ms a chunk) and an
    /// append-only redis-server in a data directory of its own; stops them all after.
    static func withCluster(pace: Int = 60, _ body: (Cluster) async throws -> Void) async throws {
        try await RedisTestServer.withDataDirectory { directory in
            let redis = try await RedisTestServer.start(directory: directory, appendOnly: true)
            let cluster = try await Cluster.start(redis: redis, pace: pace)
            do {
                try await body(cluster)
            } catch {
                await cluster.stop()
                await redis.stop()
                throw error
            }
            await cluster.stop()
            await redis.stop()
        }
    }

    @Test("a publish on node 1 reaches subscribers on nodes 1, 2 and 3, in order")
    func publishAcrossProcesses() async throws {
        try await Self.withCluster { cluster in
            let output = try await PythonWebSockets.run("cluster_publish", url: cluster.joinedURLs)
            #expect(output.status == 0, "\(output.transcript)")
        }
    }

    @Test("a stream of node 1 followed over SSE on node 2 with Last-Event-ID: the rest once, in order, then live")
    func serverSentEventsOnAnotherNode() async throws {
        try await Self.withCluster { cluster in
            let output = try await PythonWebSockets.run("cluster_sse", url: cluster.joinedURLs)
            #expect(output.status == 0, "\(output.transcript)")
        }
    }

    @Test("the follower's node is SIGKILLed mid-stream: it resumes on another node, nothing missing or repeated")
    func followerNodeKilled() async throws {
        try await Self.withCluster { cluster in
            let output = try await BackgroundScenario.run("cluster_follow", url: cluster.joinedURLs, ["follower_killed"]) {
                scenario in
                try await scenario.waitFor("following")
                cluster.nodes[1].send(SIGKILL)
                try scenario.signal("killed")
                return try await scenario.finish()
            }
            #expect(output.status == 0, "\(output.transcript)")
        }
    }

    @Test("the producing node is SIGKILLed: the follower gets node_lost within 3.5 s (+0.5 s margin), and a resume replays up to it")
    func producerKilled() async throws {
        try await Self.withCluster { cluster in
            let output = try await BackgroundScenario.run("cluster_follow", url: cluster.joinedURLs, ["producer_killed"]) {
                scenario in
                try await scenario.waitFor("following")
                cluster.nodes[0].send(SIGKILL)
                try scenario.signal("killed")
                return try await scenario.finish()
            }
            #expect(output.status == 0, "\(output.transcript)")
            // What docs/PERFORMANCE.md quotes: seconds from the kill to node_lost at the follower.
            print("cluster_follow producer_killed: \(output.stdout)")
        }
    }

    @Test("the producer is SIGSTOPped past its lease, then SIGCONTed: node_lost, and no frame of it after the fence")
    func producerPausedIsFenced() async throws {
        try await Self.withCluster { cluster in
            let output = try await BackgroundScenario.run("cluster_follow", url: cluster.joinedURLs, ["producer_stopped"]) {
                scenario in
                try await scenario.waitFor("following")
                cluster.nodes[0].send(SIGSTOP)
                try scenario.signal("killed")
                try await scenario.waitFor("lost")
                cluster.nodes[0].send(SIGCONT)
                try scenario.signal("continued")
                return try await scenario.finish()
            }
            #expect(output.status == 0, "\(output.transcript)")
            // Woken, the producer learns it was fenced and stops its run.
            _ = try await cluster.nodes[0].line(containing: "declared this stream lost", timeout: .seconds(10))
        }
    }

    @Test("SIGTERM on the producing node: it runs the stream to its end and logs it; followers elsewhere get it whole")
    func producerDrains() async throws {
        try await Self.withCluster { cluster in
            let output = try await BackgroundScenario.run("cluster_drain", url: cluster.joinedURLs, ["producer_drains"]) {
                scenario in
                try await scenario.waitFor("following")
                cluster.nodes[0].send(SIGTERM)
                try scenario.signal("terminated")
                return try await scenario.finish()
            }
            #expect(output.status == 0, "\(output.transcript)")
            #expect(try await cluster.nodes[0].waitForExit(timeout: .seconds(30)) == 0)
        }
    }

    @Test("SIGTERM on a node whose client follows another node's stream: 1012 at once, resumed on a third node")
    func followerNodeDrains() async throws {
        try await Self.withCluster { cluster in
            let output = try await BackgroundScenario.run("cluster_drain", url: cluster.joinedURLs, ["follower_node_drains"]) {
                scenario in
                try await scenario.waitFor("following")
                cluster.nodes[1].send(SIGTERM)
                try scenario.signal("terminated")
                return try await scenario.finish()
            }
            #expect(output.status == 0, "\(output.transcript)")
            #expect(try await cluster.nodes[1].waitForExit(timeout: .seconds(30)) == 0)
        }
    }

    @Test("redis-server killed and restarted 0.5 s later: the nodes reconnect, the stream completes, the replay matches")
    func redisRestarted() async throws {
        try await Self.withCluster { cluster in
            let port = cluster.redis.port
            let output = try await BackgroundScenario.run("cluster_follow", url: cluster.joinedURLs, ["redis_restarted"]) {
                scenario in
                try await scenario.waitFor("following")
                await cluster.redis.kill()
                // An outage of half a second, as a crashed Redis restarted by its supervisor.
                try await Task.sleep(for: .milliseconds(500))
                let restarted = try await RedisTestServer.start(
                    port: port, directory: cluster.redis.directory, appendOnly: true)
                try scenario.signal("restarted")
                let output = try await scenario.finish()
                await restarted.stop()
                return output
            }
            #expect(output.status == 0, "\(output.transcript)")
            // What docs/PERFORMANCE.md quotes: how the running stream ended, and its last seq.
            print("cluster_follow redis_restarted: \(output.stdout)")
        }
    }
}
