import Foundation
import Glibc
import StreamingRedisTestSupport
import StreamingTestSupport
import Testing

/// The chat page behind a load balancer (`Interop/chat_failover.py`): headless Chromium
/// reaches `raaf-streaming serve` through a TCP proxy that sends each new connection to the
/// first live node, and a second member asks the agent through Python's `websockets`. While
/// the answer streams, the page's connection is cut (the proxy aborts it) or its node is
/// killed with SIGKILL; the page must reconnect by itself, through the proxy, and resume the
/// answer it was showing, ending with the text the other member received, once.
@Suite("Chat page behind a proxy: cut or failed over mid-answer", .serialized, .needsBrowser, .needsPythonWebSockets)
struct ChatBrowserFailoverTests {
    static let script = ChatBrowserTests.root.appendingPathComponent("Tests/WebSocketTests/Interop/chat_failover.py")

    @Test("the proxy cuts the page's connection mid-answer: the page reconnects through it and resumes the answer")
    func connectionCut() async throws {
        // A paced model (~86 chunks of 100 ms): the answer still streams after the reconnect.
        let node = try ServeProcess.start(
            ["--host", "127.0.0.1", "--port", "0"], environment: ["RAAF_SIMULATION_DELAY_MS": "100"])
        defer { node.send(SIGKILL) }
        let url = try await ServeProcess.url(of: node)
        let output = try await Self.run(["--cut-only", "--node", url, String(node.pid)])
        #expect(output.status == 0, "\(output.stdout)\(output.stderr)\nserver: \(node.outputSoFar)")
        await node.stop()
    }

    @Test(
        "the page's node is killed mid-answer: the page reconnects to another node and resumes the answer",
        .enabled(if: SharedRedisServer.canStartServers, "needs redis-server on PATH"))
    func nodeKilled() async throws {
        let redis = try await RedisTestServer.start()
        var nodes: [RunningChild] = []
        do {
            var arguments: [String] = []
            for index in 1...2 {
                let node = try ServeProcess.start(
                    ["--host", "127.0.0.1", "--port", "0"],
                    environment: [
                        "REDIS_URL": redis.url, "RAAF_NODE_ID": "node-\(index)", "RAAF_SIMULATION_DELAY_MS": "100",
                        "CHAT_STORE": "redis",
                    ])
                nodes.append(node)
                arguments += ["--node", try await ServeProcess.url(of: node), String(node.pid)]
            }
            let output = try await Self.run(arguments)
            #expect(output.status == 0, "\(output.stdout)\(output.stderr)\nnode 2: \(nodes[1].outputSoFar)")
        } catch {
            for node in nodes { await node.stop() }
            await redis.stop()
            throw error
        }
        for node in nodes { await node.stop() }
        await redis.stop()
    }

    static func run(_ arguments: [String]) async throws -> ChildProcess.Output {
        let python = try #require(ChildProcess.find("python3"))
        return try await ChildProcess.run(python, [script.path] + arguments, environment: PythonWebSockets.environment())
    }
}
