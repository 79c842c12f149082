import Foundation
import Glibc
import StreamingRedisTestSupport
import StreamingTestSupport
import Testing

/// Chat rooms across three real `raaf-streaming serve` processes sharing one real
/// `redis-server`, with independent clients (Python's `websockets`, Interop/chat_cluster.py):
/// members on different nodes, nodes killed with SIGKILL, every node restarted (issue 14).
@Suite(
    "serve's chat rooms as a cluster on Redis", .serialized, .needsPythonWebSockets,
    .enabled(if: SharedRedisServer.canStartServers, "needs redis-server on PATH"))
struct ServeChatClusterTests {
    @Test("members on nodes 1 and 2, a message from node 3: all see it and the agent's whole answer")
    func messageAcrossProcesses() async throws {
        try await ServeClusterTests.withCluster(pace: 20) { cluster in
            let output = try await PythonWebSockets.run("chat_cluster_message", url: cluster.joinedURLs)
            #expect(output.status == 0, "\(output.transcript)")
        }
    }

    @Test("members on three nodes write at once: everyone sees one order")
    func concurrentOrder() async throws {
        try await ServeClusterTests.withCluster(pace: 20) { cluster in
            let output = try await PythonWebSockets.run("chat_cluster_order", url: cluster.joinedURLs)
            #expect(output.status == 0, "\(output.transcript)")
        }
    }

    @Test("the last seat taken from two nodes at once: one wins, the other gets room_full")
    func lastSeat() async throws {
        try await ServeClusterTests.withCluster(pace: 20) { cluster in
            let output = try await PythonWebSockets.run("chat_cluster_seat", url: cluster.joinedURLs)
            #expect(output.status == 0, "\(output.transcript)")
        }
    }

    @Test("a member's node is SIGKILLed: it leaves the room on the other nodes within 3 s")
    func memberNodeKilled() async throws {
        try await ServeClusterTests.withCluster(pace: 20) { cluster in
            let output = try await BackgroundScenario.run("chat_cluster_kill", url: cluster.joinedURLs, ["member_node"]) { scenario in
                try await scenario.waitFor("ready")
                cluster.nodes[1].send(SIGKILL)
                try scenario.signal("killed")
                return try await scenario.finish()
            }
            #expect(output.status == 0, "\(output.transcript)")
            print("chat_cluster_kill member_node: \(output.stdout)")
        }
    }

    @Test("a member's node is SIGSTOPped past the node timeout: its member leaves elsewhere within 3 s; once SIGCONTed the node closes it with 1012 and stops listening to the room")
    func memberNodePaused() async throws {
        try await ServeClusterTests.withCluster(pace: 20) { cluster in
            let room = "*:chat:ev:kill-member_node_paused"
            let output = try await BackgroundScenario.run("chat_cluster_kill", url: cluster.joinedURLs, ["member_node_paused"]) { scenario in
                try await scenario.waitFor("ready")
                #expect(try await cluster.redis.subscribers(matching: room).values.first == 2, "nodes 1 and 2 listen to the room")
                cluster.nodes[1].send(SIGSTOP)
                try scenario.signal("stopped")
                try await scenario.waitFor("left")
                cluster.nodes[1].send(SIGCONT)
                try scenario.signal("continued")
                // Bob is back, on node 3; node 2 has no member in the room any more, so it no
                // longer receives the room's frames: nodes 1 and 3 listen, node 2 does not.
                try await scenario.waitFor("rejoined")
                try await waitUntil("node 2 to stop listening to the room") {
                    (try? await cluster.redis.subscribers(matching: room).values.first) == 2
                }
                try scenario.signal("checked")
                return try await scenario.finish()
            }
            #expect(output.status == 0, "\(output.transcript)")
            print("chat_cluster_kill member_node_paused: \(output.stdout)")
        }
    }

    @Test("the node running an answer is SIGKILLed: the answer ends with node_lost within 4 s and the room answers again")
    func answerNodeKilled() async throws {
        try await ServeClusterTests.withCluster(pace: 60) { cluster in
            let output = try await BackgroundScenario.run("chat_cluster_kill", url: cluster.joinedURLs, ["answer_node"]) { scenario in
                try await scenario.waitFor("ready")
                cluster.nodes[2].send(SIGKILL)
                try scenario.signal("killed")
                return try await scenario.finish()
            }
            #expect(output.status == 0, "\(output.transcript)")
            print("chat_cluster_kill answer_node: \(output.stdout)")
        }
    }

    @Test("every node restarted: history and seq go on")
    func everyNodeRestarted() async throws {
        let (first, second) = try await RedisTestServer.withDataDirectory { directory in
            let redis = try await RedisTestServer.start(directory: directory, appendOnly: true)
            let before = try await ServeClusterTests.Cluster.start(redis: redis, pace: 5)
            let first = try await PythonWebSockets.run("chat_cluster_restart", url: before.joinedURLs, ["before"])
            await before.stop()
            let after = try await ServeClusterTests.Cluster.start(redis: redis, pace: 5)
            let second = try await PythonWebSockets.run("chat_cluster_restart", url: after.joinedURLs, ["after"])
            await after.stop()
            await redis.stop()
            return (first, second)
        }
        #expect(first.status == 0, "\(first.transcript)")
        #expect(second.status == 0, "\(second.transcript)")
    }
}
