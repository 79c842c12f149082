import Foundation
import GRDB
import StreamingApplication
import StreamingDomain

/// Finishing, giving back, extending and recovering leases. A lease is held while its job
/// is `processing` with the lease's token; leaving `processing` clears the token, so a
/// lease that ended (and whose job went to another worker) can no longer finish the job.
extension JobStore {
    /// Marks the held leases' jobs completed with their results, counts them, and purges
    /// a bounded number of completed jobs older than the retention.
    func complete(_ completions: [JobCompletion], now: Date, _ db: Database) throws -> [JobLease] {
        let finish = try PreparedStatement(db, """
            UPDATE \(tables.jobs) SET state = 'completed', result = ?, completed_at = ?, lease_token = NULL, lease_expires_at = NULL
            WHERE id = ? AND state = 'processing' AND lease_token = ?
            """)
        let nowSeconds = now.timeIntervalSince1970
        var held: [JobLease] = []
        held.reserveCapacity(completions.count)
        for completion in completions {
            finish.bind(completion.result, at: 1)
            finish.bind(nowSeconds, at: 2)
            finish.bind(completion.lease.id.rawValue, at: 3)
            finish.bind(completion.lease.token, at: 4)
            if try finish.run() > 0 { held.append(completion.lease) }
        }
        try CompletedCounter.add(meta: tables.meta, held.count, db)
        try purgeCompleted(now: now, atMost: max(256, 2 * completions.count), db)
        return held
    }

    /// Ends a held lease with a failure: the job is scheduled again at `retryAt`, or dead.
    func fail(_ lease: JobLease, error: String, retryAt: Date?, _ db: Database) throws -> Bool {
        var sequence = try SequenceCounter(db, meta: tables.meta)
        let held = try retryOrBury(id: lease.id.rawValue, token: lease.token, error: error, retryAt: retryAt,
                                   sequence: &sequence, db)
        try sequence.save(db)
        return held
    }

    /// Gives held leases back without counting the attempt: each job goes to the front of
    /// its priority's line (its sequence below every ready job's), as the memory queue does.
    func release(_ leases: [JobLease], _ db: Database) throws -> [JobLease] {
        let sequence = try SequenceCounter(db, meta: tables.meta)
        let release = try db.cachedStatement(sql: """
            UPDATE \(tables.jobs) SET state = 'waiting', attempts = attempts - 1, lease_token = NULL, lease_expires_at = NULL,
                seq = (SELECT coalesce(min(ready.seq), ?) FROM \(tables.jobs) AS ready
                       WHERE ready.state = 'waiting' AND ready.priority = \(tables.jobs).priority) - 1
            WHERE id = ? AND state = 'processing' AND lease_token IS ?
            """)
        return try leases.filter { lease in
            try release.execute(arguments: [sequence.next, lease.id.rawValue, lease.token])
            return db.changesCount > 0
        }
    }

    /// Moves a held lease's end to `now + duration`.
    func renew(_ lease: JobLease, duration: Duration, now: Date, _ db: Database) throws -> Bool {
        let renew = try db.cachedStatement(sql: """
            UPDATE \(tables.jobs) SET lease_expires_at = ? WHERE id = ? AND state = 'processing' AND lease_token IS ?
            """)
        let expiresAt = now.addingTimeInterval(duration.timeInterval)
        try renew.execute(arguments: [expiresAt.timeIntervalSince1970, lease.id.rawValue, lease.token])
        return db.changesCount > 0
    }

    /// Schedules again (at `now`), or buries when that was the last attempt, every job
    /// whose lease ended before `now`, in id order; then purges old completed jobs.
    func recoverExpiredLeases(now: Date, _ db: Database) throws -> Int {
        var sequence = try SequenceCounter(db, meta: tables.meta)
        // Sorted here, not by ORDER BY id: SQLite would rather walk the whole primary-key
        // index in id order than search `jobs_processing` and sort the few rows it finds.
        let expired = try db.cachedStatement(sql: """
            SELECT id, lease_token FROM \(tables.jobs) WHERE state = 'processing' AND lease_expires_at < ?
            """)
        let rows = try Row.fetchAll(expired, arguments: [now.timeIntervalSince1970])
            .map { row -> (id: String, token: String?) in (row[0], row[1]) }
            .sorted { $0.id < $1.id }
        var recovered = 0
        for (id, token) in rows {
            if try retryOrBury(id: id, token: token, error: Self.leaseEndedError, retryAt: now, sequence: &sequence, db) {
                recovered += 1
            }
        }
        try sequence.save(db)
        try purgeCompleted(now: now, atMost: 1_000, db)
        return recovered
    }

    /// Ends the lease of job `id` if `token` holds it: the job is `scheduled` at `retryAt`
    /// when one is given and attempts remain, `dead` otherwise, with `error` recorded.
    private func retryOrBury(
        id: String, token: String?, error: String, retryAt: Date?, sequence: inout SequenceCounter, _ db: Database
    ) throws -> Bool {
        let finish = try db.cachedStatement(sql: """
            UPDATE \(tables.jobs) SET
                state = CASE WHEN ? IS NOT NULL AND attempts < max_attempts THEN 'scheduled' ELSE 'dead' END,
                run_at = CASE WHEN ? IS NOT NULL AND attempts < max_attempts THEN ? ELSE run_at END,
                last_error = ?, seq = ?, lease_token = NULL, lease_expires_at = NULL
            WHERE id = ? AND state = 'processing' AND lease_token IS ?
            """)
        let retrySeconds = retryAt?.timeIntervalSince1970
        try finish.execute(arguments: [retrySeconds, retrySeconds, retrySeconds, error, sequence.take(), id, token])
        return db.changesCount > 0
    }

    /// Deletes at most `atMost` completed jobs whose retention ended, oldest first, so
    /// one call does bounded work however many have piled up.
    func purgeCompleted(now: Date, atMost: Int, _ db: Database) throws {
        let purge = try db.cachedStatement(sql: """
            DELETE FROM \(tables.jobs) WHERE rowid IN (
                SELECT rowid FROM \(tables.jobs) WHERE state = 'completed' AND completed_at < ? ORDER BY completed_at LIMIT ?)
            """)
        try purge.execute(arguments: [now.timeIntervalSince1970 - completedRetention, atMost])
    }
}
