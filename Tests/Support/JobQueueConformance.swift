import Foundation
import StreamingApplication
import StreamingDomain
import Synchronization

/// The behaviour every ``JobQueue`` backend must have, written once and run against the
/// memory, SQLite and Redis queues. Each case gets a fresh, empty queue.
///
/// In a test target:
/// ```swift
/// @Test(arguments: JobQueueConformance.cases)
/// func conformance(_ check: JobQueueConformance.Case) async throws {
///     try await check.run(on: makeEmptyQueue())
/// }
/// ```
public enum JobQueueConformance {
    public struct Case: Sendable, CustomStringConvertible {
        public let name: String
        let body: @Sendable (any JobQueue) async throws -> Void

        public var description: String { name }

        /// Runs the case on `queue` and shuts the queue down.
        public func run(on queue: any JobQueue) async throws {
            do {
                try await body(queue)
            } catch {
                try? await queue.shutdown()
                throw error
            }
            try await queue.shutdown()
        }
    }

    /// What a failed check throws.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    static func check(_ condition: Bool, _ message: @autoclosure () -> String, line: Int = #line) throws {
        if !condition { throw Failure(description: "line \(line): \(message())") }
    }

    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let lease = Duration.seconds(30)

    static func job(_ name: String, _ text: String = "", priority: JobPriority = .normal, runAt: Date? = nil,
                    key: String? = nil, maxAttempts: Int = 3) -> NewJob {
        NewJob(name: name, payload: Array(text.utf8), priority: priority, runAt: runAt, idempotencyKey: key, maxAttempts: maxAttempts)
    }

    static func names(_ claimed: [ClaimedJob]) -> [String] {
        claimed.map { String(decoding: $0.job.payload, as: UTF8.self) }
    }

    public static let cases: [Case] = [
        Case(name: "first in, first out within a priority") { queue in
            _ = try await queue.enqueue((1...5).map { job("n", "\($0)") }, now: start)
            let first = try await queue.claim(limit: 2, lease: lease, now: start)
            let rest = try await queue.claim(limit: 10, lease: lease, now: start)
            try check(names(first) == ["1", "2"], "got \(names(first))")
            try check(names(rest) == ["3", "4", "5"], "got \(names(rest))")
        },
        Case(name: "every high job before any normal one, every normal before any low") { queue in
            _ = try await queue.enqueue(
                [job("j", "low1", priority: .low), job("j", "normal1"), job("j", "high1", priority: .high),
                 job("j", "low2", priority: .low), job("j", "high2", priority: .high), job("j", "normal2")],
                now: start
            )
            let claimed = try await queue.claim(limit: 10, lease: lease, now: start)
            try check(names(claimed) == ["high1", "high2", "normal1", "normal2", "low1", "low2"], "got \(names(claimed))")
        },
        Case(name: "a job waits for its run-at time") { queue in
            let later = start.addingTimeInterval(60)
            let id = try await queue.enqueue([job("j", "later", runAt: later)], now: start)[0]
            try check(try await queue.claim(limit: 10, lease: lease, now: start.addingTimeInterval(59)).isEmpty, "claimed early")
            try check(try await queue.stats(now: start).scheduled == 1, "not counted as scheduled")
            try check(try await queue.job(id)?.state == .scheduled, "state is not scheduled")
            let claimed = try await queue.claim(limit: 10, lease: lease, now: later)
            try check(names(claimed) == ["later"], "got \(names(claimed))")
        },
        Case(name: "a job whose lease ended is delivered again, and the old lease is void") { queue in
            _ = try await queue.enqueue([job("j", "x")], now: start)
            let first = try await queue.claim(limit: 1, lease: lease, now: start)[0]
            try check(first.job.attempts == 1, "attempts \(first.job.attempts)")
            try check(first.leaseExpiresAt == start.addingTimeInterval(30), "lease ends \(first.leaseExpiresAt)")
            try check(try await queue.claim(limit: 1, lease: lease, now: start).isEmpty, "claimed twice while leased")
            try check(try await queue.recoverExpiredLeases(now: start.addingTimeInterval(29)) == 0, "recovered a live lease")
            try check(try await queue.recoverExpiredLeases(now: start.addingTimeInterval(31)) == 1, "did not recover")
            let second = try await queue.claim(limit: 1, lease: lease, now: start.addingTimeInterval(31))[0]
            try check(second.job.id == first.job.id && second.job.attempts == 2, "not the same job again")
            try check(second.lease.token != first.lease.token, "the lease token did not change")
            let late = try await queue.complete([JobCompletion(lease: first.lease)], now: start.addingTimeInterval(32))
            try check(late.isEmpty, "a void lease completed the job")
            try check(!(try await queue.fail(first.lease, error: "late", retryAt: nil, now: start.addingTimeInterval(32))), "a void lease failed the job")
            try check(!(try await queue.renew(first.lease, lease: lease, now: start.addingTimeInterval(32))), "a void lease was renewed")
            let done = try await queue.complete([JobCompletion(lease: second.lease)], now: start.addingTimeInterval(33))
            try check(done == [second.lease], "the live lease did not complete")
        },
        Case(name: "renewing a lease keeps the job from being recovered") { queue in
            _ = try await queue.enqueue([job("j", "long")], now: start)
            let claimed = try await queue.claim(limit: 1, lease: lease, now: start)[0]
            try check(try await queue.renew(claimed.lease, lease: lease, now: start.addingTimeInterval(25)), "renew refused")
            try check(try await queue.recoverExpiredLeases(now: start.addingTimeInterval(40)) == 0, "recovered a renewed lease")
            try check(try await queue.recoverExpiredLeases(now: start.addingTimeInterval(56)) == 1, "renewed lease never ended")
        },
        Case(name: "completing keeps the result and counts the job") { queue in
            let id = try await queue.enqueue([job("j", "x")], now: start)[0]
            let claimed = try await queue.claim(limit: 1, lease: lease, now: start)[0]
            let result = Array("résultat ✓".utf8)
            _ = try await queue.complete([JobCompletion(lease: claimed.lease, result: result)], now: start)
            let stored = try await queue.job(id)
            try check(stored?.state == .completed && stored?.result == result, "stored \(String(describing: stored))")
            let stats = try await queue.stats(now: start)
            try check(stats.completed == 1 && stats.processing == 0 && stats.totalWaiting == 0, "stats \(stats)")
        },
        Case(name: "a failed job retries at the backoff time, with exponential backoff and full jitter, capped") { queue in
            let backoff = RetryBackoff(base: .seconds(2), cap: .seconds(10))
            try check(backoff.ceiling(beforeRetry: 1) == .seconds(2) && backoff.ceiling(beforeRetry: 3) == .seconds(8)
                && backoff.ceiling(beforeRetry: 4) == .seconds(10) && backoff.ceiling(beforeRetry: 60) == .seconds(10), "ceilings")
            var random = SplitMix64(seed: 0x5EED)
            let draws = (0..<500).map { _ in backoff.delay(beforeRetry: 2, using: &random) }
            try check(draws.allSatisfy { $0 >= .zero && $0 <= .seconds(4) }, "a draw above its ceiling")
            try check(Set(draws).count > 400, "no jitter")
            _ = try await queue.enqueue([job("j", "flaky", maxAttempts: 3)], now: start)
            let first = try await queue.claim(limit: 1, lease: lease, now: start)[0]
            let retryAt = start.addingTimeInterval(backoff.delay(beforeRetry: 1, using: &random).timeInterval + 0.001)
            try check(try await queue.fail(first.lease, error: "boom", retryAt: retryAt, now: start), "fail refused")
            let stored = try await queue.job(first.job.id)
            try check(stored?.state == .scheduled && stored?.lastError == "boom", "stored \(String(describing: stored))")
            try check(try await queue.claim(limit: 1, lease: lease, now: retryAt.addingTimeInterval(-0.0005)).isEmpty, "retried early")
            let second = try await queue.claim(limit: 1, lease: lease, now: retryAt)
            try check(second.first?.job.attempts == 2, "attempts \(String(describing: second.first?.job.attempts))")
        },
        Case(name: "a job that fails every attempt is dead, with its last error and attempt count") { queue in
            _ = try await queue.enqueue([job("j", "doomed", maxAttempts: 2)], now: start)
            let first = try await queue.claim(limit: 1, lease: lease, now: start)[0]
            _ = try await queue.fail(first.lease, error: "first failure", retryAt: start.addingTimeInterval(1), now: start)
            let second = try await queue.claim(limit: 1, lease: lease, now: start.addingTimeInterval(1))[0]
            _ = try await queue.fail(second.lease, error: "second failure", retryAt: start.addingTimeInterval(2), now: start.addingTimeInterval(1))
            let dead = try await queue.deadJobs(limit: 10)
            try check(dead.count == 1 && dead[0].lastError == "second failure" && dead[0].attempts == 2 && dead[0].state == .dead,
                      "dead \(dead)")
            try check(try await queue.claim(limit: 1, lease: lease, now: start.addingTimeInterval(5)).isEmpty, "a dead job ran")
            try check(try await queue.stats(now: start).dead == 1, "not counted dead")
        },
        Case(name: "failing without a retry time dead-letters at once") { queue in
            _ = try await queue.enqueue([job("j", "x", maxAttempts: 5)], now: start)
            let claimed = try await queue.claim(limit: 1, lease: lease, now: start)[0]
            _ = try await queue.fail(claimed.lease, error: "no handler", retryAt: nil, now: start)
            try check(try await queue.deadJobs(limit: 10).map(\.lastError) == ["no handler"], "not dead")
        },
        Case(name: "dead jobs can be requeued, all or by id, with their attempts reset") { queue in
            let ids = try await queue.enqueue([job("j", "a", maxAttempts: 1), job("j", "b", maxAttempts: 1)], now: start)
            for claimed in try await queue.claim(limit: 2, lease: lease, now: start) {
                _ = try await queue.fail(claimed.lease, error: "x", retryAt: nil, now: start)
            }
            try check(try await queue.requeueDead([ids[1]], now: start) == 1, "requeue by id")
            let again = try await queue.claim(limit: 5, lease: lease, now: start)
            try check(names(again) == ["b"] && again[0].job.attempts == 1, "got \(names(again))")
            try check(try await queue.requeueDead(nil, now: start) == 1, "requeue all")
            try check(try await queue.stats(now: start).dead == 0, "still dead")
        },
        Case(name: "a second enqueue with the same idempotency key returns the first job's id") { queue in
            let first = try await queue.enqueue([job("j", "once", key: "order-42")], now: start)[0]
            let again = try await queue.enqueue([job("j", "twice", key: "order-42"), job("j", "other", key: "order-43")], now: start)
            try check(again[0] == first && again[1] != first, "ids \(first) \(again)")
            let claimed = try await queue.claim(limit: 10, lease: lease, now: start)
            try check(names(claimed) == ["once", "other"], "got \(names(claimed))")
        },
        Case(name: "8 concurrent claimers take 5,000 jobs, each exactly once") { queue in
            let total = 5_000
            for batch in stride(from: 0, to: total, by: 1_000) {
                _ = try await queue.enqueue((batch..<(batch + 1_000)).map { job("j", "\($0)") }, now: start)
            }
            let seen = Locked<[String: Int]>([:])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        while true {
                            let claimed = try await queue.claim(limit: 25, lease: lease, now: start)
                            if claimed.isEmpty { return }
                            seen.withLock { seen in for name in names(claimed) { seen[name, default: 0] += 1 } }
                            _ = try await queue.complete(claimed.map { JobCompletion(lease: $0.lease) }, now: start)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let counts = seen.withLock { $0 }
            try check(counts.count == total, "\(counts.count) distinct jobs claimed")
            try check(counts.values.allSatisfy { $0 == 1 }, "a job was claimed twice")
            try check(try await queue.stats(now: start).completed == total, "completed count")
        },
        Case(name: "payloads of 1 MiB and of non-ASCII text come back exactly") { queue in
            var random = SplitMix64(seed: 0x5EED)
            let big = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &random) }
            let text = Array("Grüße, 世界! 🙂 \u{0}\n\"quotes\" \\ back".utf8)
            _ = try await queue.enqueue([NewJob(name: "big", payload: big), NewJob(name: "text", payload: text)], now: start)
            let claimed = try await queue.claim(limit: 2, lease: lease, now: start)
            try check(claimed.map(\.job.name) == ["big", "text"], "names \(claimed.map(\.job.name))")
            try check(claimed[0].job.payload == big, "1 MiB payload changed")
            try check(claimed[1].job.payload == text, "text payload changed")
        },
        Case(name: "released jobs are ready again without losing an attempt") { queue in
            _ = try await queue.enqueue([job("j", "a", maxAttempts: 1), job("j", "b")], now: start)
            let claimed = try await queue.claim(limit: 2, lease: lease, now: start)
            let released = try await queue.release(claimed.map(\.lease), now: start)
            try check(released.count == 2, "released \(released.count)")
            let again = try await queue.claim(limit: 2, lease: lease, now: start)
            try check(Set(names(again)) == ["a", "b"] && again.allSatisfy { $0.job.attempts == 1 }, "got \(again)")
        },
        Case(name: "stats count each priority, scheduled, processing and the oldest wait") { queue in
            _ = try await queue.enqueue(
                [job("j", priority: .high), job("j"), job("j"), job("j", priority: .low),
                 job("j", runAt: start.addingTimeInterval(100))],
                now: start
            )
            _ = try await queue.enqueue([job("j")], now: start.addingTimeInterval(5))
            _ = try await queue.claim(limit: 1, lease: lease, now: start.addingTimeInterval(10))
            let stats = try await queue.stats(now: start.addingTimeInterval(10))
            try check(stats.waiting[.high, default: 0] == 0 && stats.waiting[.normal] == 3 && stats.waiting[.low] == 1,
                      "waiting \(stats.waiting)")
            try check(stats.scheduled == 1 && stats.processing == 1, "stats \(stats)")
            try check(abs(stats.oldestWaitingAge - 10) < 0.01, "oldest age \(stats.oldestWaitingAge)")
        },
        Case(name: "a payload that does not decode fails that job alone, as a typed error, without retries") { queue in
            struct Greeting: Codable, Sendable { var name: String }
            let processor = BackgroundProcessor(
                queue: queue,
                options: .init(workers: 2, pollInterval: .milliseconds(5), maxAttempts: 5)
            )
            processor.register("greet", payload: Greeting.self) { greeting, _ in "hi \(greeting.name)" }
            let good1 = try await processor.enqueueJob("greet", Greeting(name: "a"))
            let bad = try await queue.enqueue([NewJob(name: "greet", payload: [0xFF, 0xFE, 0x00], maxAttempts: 5)], now: Date())[0]
            let good2 = try await processor.enqueueJob("greet", Greeting(name: "b"))
            let run = Task { try await processor.run() }
            defer { run.cancel() }
            try await waitUntil("the jobs to settle") {
                let stats = try? await queue.stats(now: Date())
                return stats?.completed == 2 && stats?.dead == 1
            }
            processor.shutdown()
            try await run.value
            try check(try await queue.job(good1)?.state == .completed, "good job 1")
            try check(try await queue.job(good2)?.state == .completed, "good job 2")
            let dead = try await queue.job(bad)
            try check(dead?.state == .dead && dead?.attempts == 1, "bad job \(String(describing: dead))")
            try check(dead?.lastError?.contains("invalid input") == true && dead?.lastError?.contains("does not decode") == true,
                      "error \(String(describing: dead?.lastError))")
        },
        Case(name: "a job without a name or with no attempts is refused with a typed error") { queue in
            do {
                _ = try await queue.enqueue([NewJob(name: "")], now: start)
                try check(false, "an unnamed job was accepted")
            } catch is StreamingError {}
            do {
                _ = try await queue.enqueue([NewJob(name: "j", maxAttempts: 0)], now: start)
                try check(false, "maxAttempts 0 was accepted")
            } catch is StreamingError {}
        },
    ]
}
