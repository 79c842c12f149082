import Foundation
import Synchronization
import StreamingApplication
import StreamingDomain
import StreamingRedis
import StreamingRedisTestSupport
import StreamingTestSupport
import Testing

/// Chat rooms across nodes when Redis goes away: restarted (its data kept) or wiped.
@Suite("Chat rooms across nodes when Redis fails", .serialized, .enabled(if: SharedRedisServer.canStartServers, "needs redis-server on PATH"))
struct ClusterChatOutageTests {
    @Test("redis-server killed and restarted: requests meanwhile get cluster_unavailable, then the room works again across nodes")
    func redisRestarted() async throws {
        try await RedisTestServer.withDataDirectory { directory in
            let redis = try await RedisTestServer.start(directory: directory, appendOnly: true)
            let port = redis.port
            try await withChatCluster(nodes: 2, redisURL: redis.url) { cluster in
                let ann = try cluster.client(on: 0)
                try await ann.create("lobby")
                try await ann.join("lobby", as: "ann")
                let bob = try cluster.client(on: 1)
                try await bob.join("lobby", as: "bob")
                let carl = try cluster.client(on: 0)
                try await carl.join("lobby", as: "carl")
                bob.say("before", in: "lobby")
                try await waitUntil("before, at ann") { ann.messages(in: "lobby").map(\.content) == ["before"] }

                await redis.kill()
                bob.say("during", in: "lobby")
                try await waitUntil("the outage answered") { bob.sink.errorCodes == ["cluster_unavailable"] }
                // Carl's connection closes while Redis is away: his leave waits for Redis.
                cluster.hubs[0].disconnect(carl.connection)

                let restarted = try await RedisTestServer.start(port: port, directory: directory, appendOnly: true)
                // The members are still in the room (Redis kept them). Bob retries while refused.
                let sent = Mutex(1)
                bob.say("after", in: "lobby")
                try await waitUntil(timeout: .seconds(20), "after, at ann") {
                    // Retried once each earlier "after" was refused (the first refusal was "during").
                    let refusedAfters = bob.sink.errorCodes.count - 1
                    let retry = sent.withLock { sent -> Bool in
                        guard refusedAfters >= sent else { return false }
                        sent += 1
                        return true
                    }
                    if retry { bob.say("after", in: "lobby") }
                    return seenByAnn(ann).contains { $0.content == "after" }
                }
                #expect(Set(bob.sink.errorCodes) == ["cluster_unavailable"])
                // No ghost: carl's leave was recorded once Redis was back.
                let probe = RedisConnection(configuration: try RedisConfiguration(url: redis.url))
                try await waitUntil(timeout: .seconds(10), "carl gone from the member list") {
                    let members = try? await probe.send("HVALS", "\(cluster.namespace):chat:room:{lobby}:members").array
                    return members.map { $0.compactMap(\.string).allSatisfy { !$0.contains("carl") } && $0.count == 2 } ?? false
                }
                await probe.close()
                // What ann saw: as messages, or as the room's state sent again when Pub/Sub came
                // back (what was published meanwhile did not arrive): nothing missing, no gap.
                let seen = seenByAnn(ann)
                #expect(seen.map(\.seq) == Array(1...seen.count), "numbering kept, no gap: \(seen.map(\.seq))")
                #expect(!seen.contains { $0.content == "during" }, "a refused message is not posted")
                await restarted.stop()
            }
        }
    }

    @Test("Redis loses its data (FLUSHALL): a message to the lost room is refused with not_found, nothing is posted")
    func storeLost() async throws {
        let redis = try await RedisTestServer.start()
        try await withChatCluster(nodes: 2, redisURL: redis.url) { cluster in
            let ann = try cluster.client(on: 0)
            try await ann.create("lobby")
            try await ann.join("lobby", as: "ann")
            let bob = try cluster.client(on: 1)
            try await bob.join("lobby", as: "bob")
            bob.say("one", in: "lobby")
            try await waitUntil("one, at ann") { ann.messages(in: "lobby").count == 1 }

            let connection = RedisConnection(configuration: try RedisConfiguration(url: redis.url))
            _ = try await connection.send("FLUSHALL")
            await connection.close()

            bob.say("two", in: "lobby")
            try await waitUntil("the room is gone") { bob.sink.errorCodes == ["not_found"] }
            #expect(ann.messages(in: "lobby").count == 1, "nothing was posted into a room that no longer exists")
        }
        await redis.stop()
    }
}

/// The messages `client` saw in `lobby`: `chat_message` frames and the history of every
/// `room_joined`, by seq, once each.
private func seenByAnn(_ client: ChatClusterClient) -> [(seq: Int, content: String)] {
    var bySeq: [Int: String] = [:]
    for joined in client.frames("room_joined", in: "lobby") {
        for message in joined["history"]?.items ?? [] {
            if let seq = message["seq"]?.intValue { bySeq[seq] = message["content"]?.stringValue ?? "" }
        }
    }
    for message in client.messages(in: "lobby") { bySeq[message.seq] = message.content }
    return bySeq.keys.sorted().map { ($0, bySeq[$0]!) }
}
