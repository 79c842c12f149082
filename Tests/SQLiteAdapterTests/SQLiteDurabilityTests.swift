import Foundation
import StreamingApplication
import StreamingDomain
import StreamingSQLite
import StreamingTestSupport
import Synchronization
import Testing

@Suite("SQLiteJobQueue durability and sharing")
struct SQLiteDurabilityTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("jobs, dead jobs, leases and counts survive dropping the queue and opening the file again")
    func reopen() async throws {
        try await TemporaryDatabase.with { database in
            var leased: ClaimedJob?
            var ids: [JobID] = []
            do {
                let queue = try SQLiteJobQueue(path: database.path)
                ids = try await queue.enqueue(
                    [NewJob(name: "a", payload: [1]), NewJob(name: "doomed", maxAttempts: 1),
                     NewJob(name: "b", payload: [2], priority: .low), NewJob(name: "later", runAt: start.addingTimeInterval(60)),
                     NewJob(name: "done", priority: .high)],
                    now: start
                )
                let done = try await queue.claim(limit: 1, lease: .seconds(30), now: start)
                #expect(done.map(\.job.name) == ["done"])
                _ = try await queue.complete([JobCompletion(lease: done[0].lease, result: [42])], now: start)
                let claimed = try await queue.claim(limit: 2, lease: .seconds(30), now: start)
                #expect(claimed.map(\.job.name) == ["a", "doomed"])
                leased = claimed[0]
                #expect(try await queue.fail(claimed[1].lease, error: "gave up", retryAt: nil, now: start))
                // Dropped without shutdown, as a crashed process would leave it.
            }
            let reopened = try SQLiteJobQueue(path: database.path)
            let stats = try await reopened.stats(now: start)
            #expect(stats.processing == 1 && stats.dead == 1 && stats.scheduled == 1 && stats.completed == 1)
            #expect(stats.waiting[.low] == 1)
            #expect(try await reopened.job(ids[0])?.state == .processing)
            #expect(try await reopened.job(ids[4])?.result == [42])
            #expect(try await reopened.deadJobs(limit: 10).map(\.lastError) == ["gave up"])
            let lease = try #require(leased)
            // The lease is still alive: the job is not handed out again, and the lease still holds.
            let other = try await reopened.claim(limit: 10, lease: .seconds(30), now: start)
            #expect(other.map(\.job.name) == ["b"])
            _ = try await reopened.complete(other.map { JobCompletion(lease: $0.lease) }, now: start)
            #expect(try await reopened.renew(lease.lease, lease: .seconds(30), now: start.addingTimeInterval(10)))
            #expect(try await reopened.recoverExpiredLeases(now: start.addingTimeInterval(39)) == 0)
            // Once the lease ends, the job comes back, on the second attempt.
            #expect(try await reopened.recoverExpiredLeases(now: start.addingTimeInterval(41)) == 1)
            let again = try await reopened.claim(limit: 1, lease: .seconds(30), now: start.addingTimeInterval(41))
            #expect(again.map(\.job.id) == [ids[0]] && again.first?.job.attempts == 2 && again.first?.job.payload == [1])
            #expect(again.first?.job.lastError == "the worker's lease ended before it finished")
            try await reopened.shutdown()
        }
    }

    @Test("two queue instances on one file, 8 concurrent claimers each: every job claimed exactly once")
    func twoInstances() async throws {
        try await TemporaryDatabase.with { database in
            let first = try SQLiteJobQueue(path: database.path)
            let second = try SQLiteJobQueue(path: database.path)
            let total = 4_000
            for batch in stride(from: 0, to: total, by: 1_000) {
                let queue = batch % 2000 == 0 ? first : second
                _ = try await queue.enqueue((batch..<(batch + 1_000)).map { NewJob(name: "j", payload: Array("\($0)".utf8)) }, now: start)
            }
            let seen = Locked<[String: Int]>([:])
            let byInstance = Locked<[Int]>([0, 0])
            // Each instance takes a first batch before the race, so both surely take part
            // however the scheduler orders the claimers on a busy machine.
            for (index, queue) in [first, second].enumerated() {
                let claimed = try await queue.claim(limit: 20, lease: .seconds(60), now: start)
                seen.withLock { seen in
                    for job in claimed { seen[String(decoding: job.job.payload, as: UTF8.self), default: 0] += 1 }
                }
                byInstance.withLock { $0[index] += claimed.count }
                _ = try await queue.complete(claimed.map { JobCompletion(lease: $0.lease) }, now: start)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, queue) in [first, second].enumerated() {
                    for _ in 0..<8 {
                        group.addTask {
                            while true {
                                let claimed = try await queue.claim(limit: 20, lease: .seconds(60), now: start)
                                if claimed.isEmpty { return }
                                seen.withLock { seen in
                                    for job in claimed { seen[String(decoding: job.job.payload, as: UTF8.self), default: 0] += 1 }
                                }
                                byInstance.withLock { $0[index] += claimed.count }
                                _ = try await queue.complete(claimed.map { JobCompletion(lease: $0.lease) }, now: start)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let counts = seen.withLock { $0 }
            #expect(counts.count == total)
            #expect(counts.values.allSatisfy { $0 == 1 })
            let shares = byInstance.withLock { $0 }
            #expect(shares.allSatisfy { $0 > 0 }, "both instances claimed: \(shares)")
            #expect(try await first.stats(now: start).completed == total)
            #expect(try await second.stats(now: start).completed == total)
            try await first.shutdown()
            try await second.shutdown()
        }
    }

    @Test("completed jobs are kept for the retention, then purged; the count stays")
    func retention() async throws {
        try await TemporaryDatabase.with { database in
            let queue = try SQLiteJobQueue(path: database.path, completedRetention: .seconds(10))
            let ids = try await queue.enqueue([NewJob(name: "a", idempotencyKey: "k"), NewJob(name: "b")], now: start)
            let first = try await queue.claim(limit: 1, lease: .seconds(30), now: start)
            _ = try await queue.complete(first.map { JobCompletion(lease: $0.lease, result: []) }, now: start)
            #expect(try await queue.job(ids[0])?.result == [])
            _ = try await queue.recoverExpiredLeases(now: start.addingTimeInterval(10))
            #expect(try await queue.job(ids[0])?.state == .completed, "purged before its retention ended")
            let second = try await queue.claim(limit: 1, lease: .seconds(30), now: start.addingTimeInterval(11))
            _ = try await queue.complete(second.map { JobCompletion(lease: $0.lease) }, now: start.addingTimeInterval(11))
            #expect(try await queue.job(ids[0]) == nil)
            #expect(try await queue.job(ids[1])?.result == nil)
            _ = try await queue.recoverExpiredLeases(now: start.addingTimeInterval(22))
            #expect(try await queue.job(ids[1]) == nil)
            #expect(try await queue.stats(now: start).completed == 2)
            // The idempotency key of a purged job is free again, as in the memory queue.
            #expect(try await queue.enqueue(NewJob(name: "a", idempotencyKey: "k"), now: start) != ids[0])
            try await queue.shutdown()
        }
    }

    @Test("released jobs go back to the front of their priority, last released first")
    func releaseOrder() async throws {
        try await TemporaryDatabase.with { database in
            let queue = try SQLiteJobQueue(path: database.path)
            _ = try await queue.enqueue(["a", "b", "c"].map { NewJob(name: $0) } + [NewJob(name: "h", priority: .high)], now: start)
            let claimed = try await queue.claim(limit: 3, lease: .seconds(30), now: start)
            #expect(claimed.map(\.job.name) == ["h", "a", "b"])
            _ = try await queue.enqueue([NewJob(name: "d")], now: start)
            let released = try await queue.release([claimed[1].lease, claimed[2].lease], now: start)
            #expect(released.count == 2)
            #expect(try await queue.claim(limit: 10, lease: .seconds(30), now: start).map(\.job.name) == ["b", "a", "c", "d"])
            try await queue.shutdown()
        }
    }
}
