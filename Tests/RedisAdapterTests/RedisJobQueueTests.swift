import Foundation
import StreamingApplication
import StreamingDomain
import StreamingRedis
import StreamingRedisTestSupport
import StreamingTestSupport
import Testing

@Suite("RedisJobQueue", .enabled(RedisTestSupport.requirement) { RedisTestSupport.isAvailable })
struct RedisJobQueueTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    private func names(_ claimed: [ClaimedJob]) -> [String] {
        claimed.map { String(decoding: $0.job.payload, as: UTF8.self) }
    }

    @Test("an unreadable job hash is dead as a corrupt record, and the claim goes on with the others")
    func corruptRecords() async throws {
        let (queue, namespace) = try await RedisTestSupport.freshQueue()
        let ids = try await queue.enqueue(["a", "b", "c", "d", "e", "f", "g"].map { NewJob(name: "j", payload: Array($0.utf8)) }, now: start)
        let key = { (index: Int) in "{\(namespace)}:job:\(ids[index].rawValue)" }
        _ = try await SharedRedisServer.raw("HDEL", key(1), "name")
        _ = try await SharedRedisServer.raw("HSET", key(2), "colour", "red")
        _ = try await SharedRedisServer.raw("HSET", key(3), "priority", "urgent", "attempts", "many")
        _ = try await SharedRedisServer.raw("DEL", key(4))
        _ = try await SharedRedisServer.raw("HDEL", key(6), "id")

        do {
            _ = try await queue.job(ids[1])
            Issue.record("read a job without a name")
        } catch StreamingError.protocol(let detail) {
            #expect(detail.hasPrefix("corrupt record: job \(ids[1].rawValue)") && detail.contains("missing field name"), "\(detail)")
        }
        #expect(try await queue.job(ids[0])?.state == .waiting, "the other jobs still read")

        let claimed = try await queue.claim(limit: 10, lease: .seconds(30), now: start)
        #expect(names(claimed) == ["a", "f"])
        // Records too broken to claim are buried by the claim script; the others (which
        // only Swift's stricter reading rejects) right after, by a second script.
        let dead = Dictionary(uniqueKeysWithValues: try await queue.deadJobs(limit: 10).map { ($0.id, $0) })
        #expect(Set(dead.keys) == [ids[1], ids[2], ids[3], ids[4], ids[6]])
        #expect(dead[ids[6]]?.lastError == "corrupt record: missing field id")
        #expect(dead[ids[1]]?.lastError == "corrupt record: missing field name")
        #expect(dead[ids[2]]?.lastError == "corrupt record: unknown field \"colour\"")
        #expect(dead[ids[3]]?.lastError == "corrupt record: priority \"urgent\" is not high, normal or low; attempts \"many\" is not an integer")
        #expect(dead[ids[4]]?.lastError == "corrupt record: the job hash is missing")
        #expect(dead.values.allSatisfy { $0.state == .dead })
        #expect(dead[ids[3]]?.payload == Array("d".utf8), "what could be read was kept")
        #expect(try await queue.job(ids[2])?.state == .dead, "a buried record reads again")
        let stats = try await queue.stats(now: start)
        #expect(stats.dead == 5 && stats.processing == 2 && stats.totalWaiting == 0)
        try await queue.shutdown()
        try await RedisTestSupport.drop(namespace: namespace)
    }

    @Test("a record that turns unreadable while leased is dead when its lease is recovered")
    func corruptWhileLeased() async throws {
        let (queue, namespace) = try await RedisTestSupport.freshQueue()
        let id = try await queue.enqueue(NewJob(name: "j"), now: start)
        _ = try await queue.claim(limit: 1, lease: .seconds(30), now: start)
        _ = try await SharedRedisServer.raw("HSET", "{\(namespace)}:job:\(id.rawValue)", "max_attempts", "x")
        #expect(try await queue.recoverExpiredLeases(now: start.addingTimeInterval(31)) == 1)
        let dead = try await queue.deadJobs(limit: 5)
        #expect(dead.map(\.lastError) == ["corrupt record: max_attempts \"x\" is not an integer"])
        try await queue.shutdown()
        try await RedisTestSupport.drop(namespace: namespace)
    }

    @Test("two queues on one namespace, 4 claimers each: every job is claimed exactly once")
    func twoInstances() async throws {
        let namespace = RedisTestSupport.freshNamespace()
        let url = try await RedisTestSupport.sharedURL()
        let queues = try (0..<2).map { _ in try RedisJobQueue(url: url, namespace: namespace, connections: 2) }
        let total = 3_000
        _ = try await queues[0].enqueue((0..<total).map { NewJob(name: "j", payload: Array("\($0)".utf8)) }, now: start)
        let seen = Locked<[String: Int]>([:])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for claimer in 0..<8 {
                let queue = queues[claimer % 2]
                group.addTask {
                    while true {
                        let claimed = try await queue.claim(limit: 20, lease: .seconds(30), now: start)
                        if claimed.isEmpty { return }
                        seen.withLock { seen in for job in claimed { seen[String(decoding: job.job.payload, as: UTF8.self), default: 0] += 1 } }
                        _ = try await queue.complete(claimed.map { JobCompletion(lease: $0.lease) }, now: start)
                    }
                }
            }
            try await group.waitForAll()
        }
        let counts = seen.value
        #expect(counts.count == total)
        #expect(counts.values.allSatisfy { $0 == 1 })
        #expect(try await queues[1].stats(now: start).completed == total)
        for queue in queues { try await queue.shutdown() }
        try await RedisTestSupport.drop(namespace: namespace)
    }

    @Test("a completed job and its idempotency key expire after the retention")
    func retention() async throws {
        let (queue, namespace) = try await RedisTestSupport.freshQueue(completedRetention: .seconds(2))
        let id = try await queue.enqueue(NewJob(name: "j", idempotencyKey: "order-1"), now: start)
        let claimed = try await queue.claim(limit: 1, lease: .seconds(30), now: start)
        _ = try await queue.complete([JobCompletion(lease: claimed[0].lease, result: [1, 2, 3])], now: start)
        #expect(try await queue.job(id)?.result == [1, 2, 3])
        #expect(try await queue.enqueue(NewJob(name: "j", idempotencyKey: "order-1"), now: start) == id)
        let ttl = try await SharedRedisServer.raw("PTTL", "{\(namespace)}:idem:order-1").integer ?? -1
        #expect(ttl > 0 && ttl <= 2_000)
        let readError = Locked<String?>(nil)
        try await waitUntil(timeout: .seconds(10), "the completed job to expire") {
            do {
                return try await queue.job(id) == nil
            } catch {
                readError.withLock { $0 = "\(error)" }
                return true
            }
        }
        #expect(readError.value == nil)
        let again = try await queue.enqueue(NewJob(name: "j", idempotencyKey: "order-1"), now: start)
        #expect(again != id, "the expired key still pointed at the old job")
        #expect(try await queue.stats(now: start).completed == 1)
        try await queue.shutdown()
        try await RedisTestSupport.drop(namespace: namespace)
    }

    @Test("jobs scheduled for the same instant, and batches larger than one script, keep their order")
    func order() async throws {
        let (queue, namespace) = try await RedisTestSupport.freshQueue()
        let later = start.addingTimeInterval(60)
        _ = try await queue.enqueue((0..<50).map { NewJob(name: "s", payload: Array("\($0)".utf8), runAt: later) }, now: start)
        #expect(names(try await queue.claim(limit: 100, lease: .seconds(30), now: later)) == (0..<50).map { "\($0)" })
        let count = 2_500
        let ids = try await queue.enqueue((0..<count).map { NewJob(name: "b", payload: Array("\($0)".utf8)) }, now: start)
        #expect(Set(ids).count == count)
        #expect(ids.allSatisfy { id in
            let text = id.rawValue
            return UUID(uuidString: text) != nil && text == text.lowercased() && Array(text)[14] == "4"
        }, "ids are lowercase version-4 UUIDs")
        #expect(names(try await queue.claim(limit: count, lease: .seconds(30), now: start)) == (0..<count).map { "\($0)" })
        try await queue.shutdown()
        try await RedisTestSupport.drop(namespace: namespace)
    }

    @Test("namespaces share nothing")
    func namespaces() async throws {
        let (first, firstNamespace) = try await RedisTestSupport.freshQueue()
        let (second, secondNamespace) = try await RedisTestSupport.freshQueue()
        _ = try await first.enqueue(NewJob(name: "j", idempotencyKey: "same"), now: start)
        #expect(try await second.claim(limit: 10, lease: .seconds(30), now: start).isEmpty)
        #expect(try await second.stats(now: start).totalWaiting == 0)
        _ = try await second.enqueue(NewJob(name: "j", idempotencyKey: "same"), now: start)
        #expect(try await first.stats(now: start).totalWaiting == 1)
        for queue in [first, second] { try await queue.shutdown() }
        try await RedisTestSupport.drop(namespace: firstNamespace)
        try await RedisTestSupport.drop(namespace: secondNamespace)
    }
}
