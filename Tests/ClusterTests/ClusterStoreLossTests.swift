import Foundation
import Logging
import StreamingApplication
import StreamingDomain
import StreamingRedis
import StreamingRedisTestSupport
import StreamingTestSupport
import Testing

/// Redis restarted without persistence under a cluster: what the log lost is never replayed
/// with a gap, and a stream whose log vanished ends explicitly.
@Suite(
    "A cluster whose Redis lost its data", .enabled(if: SharedRedisServer.canStartServers, "needs redis-server on PATH"))
struct ClusterStoreLossTests {
    @Test("after FLUSHALL: a resume of a lost stream is refused, and a running one ends with cluster_unavailable")
    func storeLost() async throws {
        let redis = try await RedisTestServer.start()
        let model = GatedModel(tokens: GatedModel.tokens(count: 20))
        // The server is stopped below, or by its lifeline when the test process ends.
        try await withStreamCluster(nodes: 2, model: model, redisURL: redis.url) { cluster in
            let client = try cluster.client(on: 0)
            client.send(#"{"type":"agent_stream","id":"doomed","agent":"assistant","input":"hi"}"#)
            for _ in 0..<3 { model.release() }
            try await waitUntil("three chunks") { client.seqs(of: "doomed") == [1, 2, 3] }

            let connection = RedisConnection(configuration: try RedisConfiguration(url: redis.url))
            _ = try await connection.send("FLUSHALL")
            await connection.close()

            model.release()
            try await waitUntil("the stream to end") { client.frames(of: "doomed").last?["type"]?.stringValue == "error" }
            #expect(client.frames(of: "doomed").last?["code"]?.stringValue == "cluster_unavailable")
            #expect(client.seqs(of: "doomed") == Array(1...client.seqs(of: "doomed").count), "gapless to the end")

            let elsewhere = try cluster.client(on: 1)
            elsewhere.send(#"{"type":"resume","id":"doomed","after_seq":0}"#)
            try await waitUntil("the refusal") { !elsewhere.sink.errorCodes.isEmpty }
            #expect(elsewhere.sink.errorCodes == ["not_found"])
            #expect(elsewhere.frames(of: "doomed").isEmpty, "no partial replay")
            model.releaseAll()
        }
        await redis.stop()
    }
}
