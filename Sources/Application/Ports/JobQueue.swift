#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StreamingDomain

/// The port to a durable job queue: at-least-once delivery that loses nothing.
///
/// An acknowledged enqueue is stored; a claimed job is leased to one worker until it is
/// completed, failed, or its lease ends, and a job whose lease ended is delivered again
/// (``recoverExpiredLeases(now:)``). Times are passed in, so every backend runs on the
/// caller's clock and tests control it.
///
/// Backends: `InMemoryJobQueue` (StreamingMemory), `SQLiteJobQueue` (StreamingSQLite) and
/// `RedisJobQueue` (StreamingRedis); one conformance suite checks all three.
public protocol JobQueue: Sendable {
    /// Stores jobs, in order; returns their ids. A job whose idempotency key is already
    /// known is not added again: its slot holds the first job's id.
    func enqueue(_ jobs: [NewJob], now: Date) async throws -> [JobID]

    /// Leases up to `limit` ready jobs (first due scheduled jobs become ready) for `lease`:
    /// highest priority first, oldest first within a priority. Each claim starts an attempt.
    func claim(limit: Int, lease: Duration, now: Date) async throws -> [ClaimedJob]

    /// Finishes attempts successfully, keeping each `result` with the job for a while.
    /// Returns the leases that were still held; the others had ended and their jobs were
    /// (or will be) delivered again.
    func complete(_ completions: [JobCompletion], now: Date) async throws -> [JobLease]

    /// Finishes an attempt that failed: the job runs again at `retryAt`, or is dead when
    /// `retryAt` is `nil` or its attempts are used up. Returns whether the lease was held.
    func fail(_ lease: JobLease, error: String, retryAt: Date?, now: Date) async throws -> Bool

    /// Gives claimed jobs back without counting their attempts (a worker shutting down):
    /// each becomes ready again. Returns the leases that were still held.
    func release(_ leases: [JobLease], now: Date) async throws -> [JobLease]

    /// Extends a held lease to `now + lease`, for a long job. Returns whether it was held.
    func renew(_ lease: JobLease, lease duration: Duration, now: Date) async throws -> Bool

    /// Makes every job whose lease ended before `now` ready again (or dead, if that was
    /// its last attempt); returns how many.
    func recoverExpiredLeases(now: Date) async throws -> Int

    /// The job with `id`, in whatever state it is, if the queue still has it.
    func job(_ id: JobID) async throws -> Job?

    /// Dead jobs, oldest first.
    func deadJobs(limit: Int) async throws -> [Job]

    /// Makes dead jobs ready again with their attempts reset: those in `ids`, or all when
    /// `ids` is `nil`. Returns how many.
    func requeueDead(_ ids: [JobID]?, now: Date) async throws -> Int

    func stats(now: Date) async throws -> JobQueueStats

    /// Closes connections; the default does nothing.
    func shutdown() async throws

    /// Checks that the backend works now, for `/health`: a round trip (Redis `PING`), a
    /// write (SQLite); returns a short detail (the backend, never a secret). The default
    /// reads ``stats(now:)``.
    func healthCheck(now: Date) async throws -> String?
}

extension JobQueue {
    public func shutdown() async throws {}

    public func healthCheck(now: Date) async throws -> String? {
        _ = try await stats(now: now)
        return nil
    }

    /// Stores one job and returns its id.
    @discardableResult
    public func enqueue(_ job: NewJob, now: Date = Date()) async throws -> JobID {
        try await enqueue([job], now: now)[0]
    }
}

/// A successful end of one attempt.
public struct JobCompletion: Sendable, Hashable {
    public var lease: JobLease
    public var result: [UInt8]?

    public init(lease: JobLease, result: [UInt8]? = nil) {
        self.lease = lease
        self.result = result
    }
}
