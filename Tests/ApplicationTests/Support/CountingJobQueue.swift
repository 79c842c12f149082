import Foundation
import StreamingApplication
import StreamingDomain
import StreamingTestSupport

/// Forwards to a queue and counts the claims, so a test can wait for a number of polls
/// instead of sleeping for a while and hoping some happened; it can also refuse enqueues of
/// one job name, as a queue that is briefly unreachable would.
final class CountingJobQueue: JobQueue {
    let base: any JobQueue
    private let claims = Locked(0)
    private let refusals = Locked<(name: String, left: Int, refused: Int)>(("", 0, 0))

    /// What a refused enqueue throws.
    struct Refused: Error, CustomStringConvertible {
        var description: String { "the queue refused the enqueue" }
    }

    init(_ base: any JobQueue) {
        self.base = base
    }

    var claimCount: Int { claims.value }

    /// The next `times` enqueues of jobs named `name` throw ``Refused`` (`Int.max`: all of them).
    func refuseEnqueues(of name: String, times: Int) {
        refusals.withLock { $0 = (name, times, 0) }
    }

    /// How many enqueues were refused.
    var refusedCount: Int { refusals.value.refused }

    func enqueue(_ jobs: [NewJob], now: Date) async throws -> [JobID] {
        let refuse = refusals.withLock { state -> Bool in
            guard state.left > 0, jobs.contains(where: { $0.name == state.name }) else { return false }
            state.left -= 1
            state.refused += 1
            return true
        }
        if refuse { throw Refused() }
        return try await base.enqueue(jobs, now: now)
    }
    func claim(limit: Int, lease: Duration, now: Date) async throws -> [ClaimedJob] {
        defer { claims.withLock { $0 += 1 } }
        return try await base.claim(limit: limit, lease: lease, now: now)
    }
    func complete(_ completions: [JobCompletion], now: Date) async throws -> [JobLease] {
        try await base.complete(completions, now: now)
    }
    func fail(_ lease: JobLease, error: String, retryAt: Date?, now: Date) async throws -> Bool {
        try await base.fail(lease, error: error, retryAt: retryAt, now: now)
    }
    func release(_ leases: [JobLease], now: Date) async throws -> [JobLease] { try await base.release(leases, now: now) }
    func renew(_ lease: JobLease, lease duration: Duration, now: Date) async throws -> Bool {
        try await base.renew(lease, lease: duration, now: now)
    }
    func recoverExpiredLeases(now: Date) async throws -> Int { try await base.recoverExpiredLeases(now: now) }
    func job(_ id: JobID) async throws -> Job? { try await base.job(id) }
    func deadJobs(limit: Int) async throws -> [Job] { try await base.deadJobs(limit: limit) }
    func requeueDead(_ ids: [JobID]?, now: Date) async throws -> Int { try await base.requeueDead(ids, now: now) }
    func stats(now: Date) async throws -> JobQueueStats { try await base.stats(now: now) }
}
