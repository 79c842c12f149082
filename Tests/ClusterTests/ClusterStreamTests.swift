import Foundation
import Logging
import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingRedis
import StreamingRedisTestSupport
import StreamingTestSupport
import Testing

/// Agent streams across the nodes of a cluster: hubs in this process, each with its own
/// Redis connections (stream log, Pub/Sub), against one real redis-server, on a gated model
/// (the test releases tokens one by one).
@Suite(
    "Agent streams across nodes", .enabled(if: SharedRedisServer.isAvailable, "needs redis-server on PATH or REDIS_URL"))
struct ClusterStreamTests {
    static let assistant = Agent(name: "assistant", instructions: "Be helpful.")

    @Test("a client resumes on another node mid-stream: every frame after after_seq once, in order, then live")
    func resumeOnAnotherNode() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: 12))
        try await withStreamCluster(nodes: 2, model: model) { cluster in
            let producer = try cluster.client(on: 0)
            producer.send(#"{"type":"agent_stream","id":"resume-me","agent":"assistant","input":"hi"}"#)
            for _ in 0..<5 { model.release() }
            try await waitUntil("5 chunks at the producer's client") { producer.text(of: "resume-me").count == model.text(upTo: 5).count }

            let follower = try cluster.client(on: 1)
            follower.send(#"{"type":"resume","id":"resume-me","after_seq":2}"#)
            try await waitUntil("resumed on node 2") { !follower.sink.messages(ofType: "resumed").isEmpty }
            try await waitUntil("the replay on node 2") { follower.seqs(of: "resume-me").last == 5 }

            // Live: each token reaches the client on the other node before the next is released.
            for count in 6...12 {
                model.release()
                try await waitUntil("token \(count) on node 2") {
                    follower.text(of: "resume-me") == model.text(upTo: count).dropFirst(model.text(upTo: 2).count).description
                }
            }
            try await waitUntil("complete on node 2") { follower.seqs(of: "resume-me").count == 11 }
            let seqs = follower.seqs(of: "resume-me")
            #expect(seqs == Array(3...13), "after_seq 2: frames 3... once each, in order")
            #expect(follower.frames(of: "resume-me").last?["type"]?.stringValue == "complete")
            #expect(producer.seqs(of: "resume-me") == Array(1...13))
        }
    }

    @Test("a node that replays fewer frames than the log keeps still resumes a long stream from the newest ones")
    func resumeWithASmallerReplayBuffer() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: 20))
        try await withStreamCluster(nodes: 2, model: model, replayFrames: 5) { cluster in
            let producer = try cluster.client(on: 0)
            producer.send(#"{"type":"agent_stream","id":"long","agent":"assistant","input":"hi"}"#)
            model.releaseAll()
            try await waitUntil("the whole stream at the producer's client") {
                producer.frames(of: "long").last?["type"]?.stringValue == "complete"
            }
            let last = try #require(producer.seqs(of: "long").last)
            // The log keeps all 21 frames; node 2 replays its last 5.
            let follower = try cluster.client(on: 1)
            follower.send(#"{"type":"resume","id":"long","after_seq":\#(last - 3)}"#)
            try await waitUntil("the end on node 2") { follower.frames(of: "long").last?["type"]?.stringValue == "complete" }
            #expect(follower.seqs(of: "long") == Array((last - 2)...last))
            #expect(follower.sink.errorCodes.isEmpty, "\(follower.sink.errorCodes)")
        }
    }

    @Test("cancel on another node stops the run where it runs, and its model request")
    func cancelFromAnotherNode() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: 50))
        let probe = CancellationProbe(model)
        try await withStreamCluster(nodes: 2, model: probe) { cluster in
            let producer = try cluster.client(on: 0)
            producer.send(#"{"type":"agent_stream","id":"cancel-me","agent":"assistant","input":"hi"}"#)
            model.release()
            try await waitUntil("the first chunk") { producer.seqs(of: "cancel-me") == [1] }

            let canceller = try cluster.client(on: 1)
            canceller.send(#"{"type":"cancel","id":"cancel-me"}"#)
            try await waitUntil("the run to end on node 1") { producer.frames(of: "cancel-me").last?["type"]?.stringValue == "error" }
            #expect(producer.frames(of: "cancel-me").last?["code"]?.stringValue == "cancelled")
            // The model waits for a second release that never comes: only a cancel ends its request.
            try await waitUntil("the model request to be cancelled") { probe.wasCancelled }
            #expect(probe.requests == 1)
            #expect(cluster.hubs[0].streams.stats.cancelled == 1)
            #expect(canceller.sink.errorCodes.isEmpty, "the canceller got no error: \(canceller.sink.errorCodes)")
        }
    }

    @Test("a stream's owner is enforced on every node")
    func ownerEnforcedOnEveryNode() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: 5))
        let tokens = ["ada-token": "ada", "bob-token": "bob"]
        try await withStreamCluster(nodes: 2, model: model, authenticate: { tokens[$0] }) { cluster in
            let ada = try cluster.client(on: 0)
            ada.send(#"{"type":"auth","token":"ada-token"}"#)
            ada.send(#"{"type":"agent_stream","id":"adas","agent":"assistant","input":"hi"}"#)
            model.release()
            try await waitUntil("ada's first chunk") { ada.seqs(of: "adas") == [1] }

            let bob = try cluster.client(on: 1)
            bob.send(#"{"type":"auth","token":"bob-token"}"#)
            bob.send(#"{"type":"resume","id":"adas","after_seq":0}"#)
            bob.send(#"{"type":"cancel","id":"adas"}"#)
            try await waitUntil("bob's two refusals") { bob.sink.errorCodes.count == 2 }
            #expect(bob.sink.errorCodes == ["forbidden", "forbidden"])

            let adaElsewhere = try cluster.client(on: 1)
            adaElsewhere.send(#"{"type":"auth","token":"ada-token"}"#)
            adaElsewhere.send(#"{"type":"resume","id":"adas","after_seq":0}"#)
            try await waitUntil("ada's replay on node 2") { adaElsewhere.seqs(of: "adas") == [1] }
            model.releaseAll()
        }
    }

    @Test("a stream whose node stopped renewing its lease ends with node_lost on every follower, and replays to it")
    func nodeLost() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: 5))
        let lease = Duration.milliseconds(600)
        try await withStreamCluster(nodes: 1, model: model, lease: lease) { cluster in
            // A node that logged two frames and then vanished (its process was killed).
            let ghost = cluster.makeLog()
            let id = "ghost-stream"
            _ = try await ghost.create(StreamRecord(id: id, agentName: "assistant", input: "hi", owner: nil, node: "ghost"))
            try await ghost.append(
                (1...2).map { StreamFrame(seq: $0, type: "response_chunk", frame: OutboundFrame(text: #"{"type":"response_chunk","id":"ghost-stream","seq":\#($0),"content":"x"}"#)) },
                to: id, node: "ghost", final: false)
            let follower = try cluster.client(on: 0)
            follower.send(#"{"type":"resume","id":"ghost-stream","after_seq":0}"#)
            try await waitUntil("the replay") { follower.seqs(of: id) == [1, 2] }
            let started = ContinuousClock.now
            try await waitUntil(timeout: .seconds(5), "node_lost") { follower.frames(of: id).last?["code"]?.stringValue == "node_lost" }
            #expect(ContinuousClock.now - started < lease + .seconds(1), "within the lease plus one second")
            #expect(follower.seqs(of: id) == [1, 2, 3])

            // The old node is fenced; a later resume on any node replays the log and the end.
            await #expect(throws: StreamLogError.fenced(id)) {
                try await ghost.append([StreamFrame(seq: 3, type: "response_chunk", frame: OutboundFrame(text: "{}"))], to: id, node: "ghost", final: false)
            }
            let later = try cluster.client(on: 0)
            later.send(#"{"type":"resume","id":"ghost-stream","after_seq":1}"#)
            try await waitUntil("the later replay") { later.seqs(of: id) == [2, 3] }
            await ghost.close()
        }
    }

    @Test("after the streams end, every key they wrote in Redis has an expiry")
    func everyKeyExpires() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: 3))
        try await withStreamCluster(nodes: 2, model: model) { cluster in
            let client = try cluster.client(on: 0)
            for index in 0..<3 { client.send(#"{"type":"agent_stream","id":"ttl-\#(index)","agent":"assistant","input":"hi"}"#) }
            model.releaseAll()
            try await waitUntil("three streams to complete") {
                (0..<3).allSatisfy { client.frames(of: "ttl-\($0)").last?["type"]?.stringValue == "complete" }
            }
            try await waitUntil("the final frames to be logged") {
                let leases = try? await SharedRedisServer.raw("KEYS", "\(cluster.namespace):*:lease").array
                return cluster.hubs[0].streams.stats.completed == 3 && leases?.isEmpty == true
            }
            let keys = try await SharedRedisServer.raw("KEYS", "\(cluster.namespace):*").array ?? []
            #expect(!keys.isEmpty)
            for key in keys {
                let ttl = try await SharedRedisServer.raw("PTTL", key.string ?? "").integer ?? -3
                #expect(ttl > 0, "\(key.string ?? "?") has no expiry")
            }
        }
    }
}

extension ClusterClient {
    /// The frames of stream `id`, parsed.
    func frames(of id: String) -> [JSONValue] {
        sink.messages.filter { $0["id"]?.stringValue == id && $0["seq"] != nil }
    }

    func seqs(of id: String) -> [Int] { frames(of: id).compactMap { $0["seq"]?.intValue } }

    /// The text of stream `id`'s chunks so far.
    func text(of id: String) -> String {
        frames(of: id).filter { $0["type"]?.stringValue == "response_chunk" }.compactMap { $0["content"]?.stringValue }.joined()
    }
}

/// A cluster whose hubs run agent streams on `model`, logged in Redis.
struct StreamTestCluster: Sendable {
    let namespace: String
    let hubs: [ConnectionHub]
    let url: String
    let options: StreamLogOptions

    func client(on node: Int) throws -> ClusterClient {
        try TestCluster(namespace: namespace, hubs: hubs).client(on: node)
    }

    /// A stream log of the cluster, as another node would open it.
    func makeLog() -> RedisStreamLog {
        RedisStreamLog(
            configuration: try! RedisConfiguration(url: url), namespace: namespace, options: options,
            logger: Logger(label: "cluster-tests"))
    }
}

func withStreamCluster(
    nodes: Int, model: any ModelProvider, lease: Duration = .seconds(3), redisURL: String? = nil,
    replayFrames: Int = AgentStreamOptions().maxReplayFrames,
    authenticate: (@Sendable (String) -> String?)? = nil, _ body: @Sendable (StreamTestCluster) async throws -> Void
) async throws {
    let url = if let redisURL { redisURL } else { try await SharedRedisServer.url() }
    let namespace = SharedRedisServer.freshNamespace("streams")
    let options = StreamLogOptions(lease: lease, retention: .seconds(60), maxFrames: 1_000)
    var logs: [RedisStreamLog] = []
    var hubs: [ConnectionHub] = []
    for index in 0..<nodes {
        let nodeID = "node-\(index + 1)"
        let configuration = try RedisConfiguration(url: url)
        let log = RedisStreamLog(configuration: configuration, namespace: namespace, options: options, logger: Logger(label: "cluster-tests"))
        logs.append(log)
        let agents = [ClusterStreamTests.assistant.name: ClusterStreamTests.assistant]
        hubs.append(ConnectionHub(
            streams: AgentStreamService(
                runner: AgentRunner(provider: model), agents: { agents[$0] },
                options: AgentStreamOptions(maxReplayFrames: replayFrames),
                cluster: StreamCluster(log: log, nodeID: nodeID)),
            authenticate: authenticate,
            broadcaster: RedisBroadcaster(configuration: configuration, nodeID: nodeID, namespace: namespace, logger: Logger(label: "cluster-tests"))))
    }
    let cluster = StreamTestCluster(namespace: namespace, hubs: hubs, url: url, options: options)
    try await withThrowingTaskGroup(of: Void.self) { group in
        for hub in hubs { group.addTask { await hub.run() } }
        defer { for hub in hubs { hub.shutdown() } }
        try await body(cluster)
    }
    for log in logs { await log.close() }
}
