import Foundation
import GRDB
import Logging
import StreamingApplication
import StreamingDomain

/// The queue's operations on one database connection, each run by ``SQLiteJobQueue``
/// inside a single transaction (`BEGIN IMMEDIATE` for every write), so an operation is
/// all or nothing and two claimers, in this process or another, never take the same job.
///
/// Statements run once per job are prepared once per connection and bound anew for every
/// row (``PreparedStatement``).
struct JobStore: Sendable {
    /// The tables of this store's named queue.
    let tables: JobTables
    /// How long completed jobs are kept with their results, in seconds.
    let completedRetention: Double
    let logger: Logger

    /// The error recorded on a job whose worker's lease ended, as the memory queue says it.
    static let leaseEndedError = "the worker's lease ended before it finished"

    // MARK: Enqueue

    /// Inserts the jobs in order with one prepared statement. A job whose idempotency key
    /// is already stored (earlier, or earlier in this batch) is not inserted: its slot gets
    /// the stored job's id.
    func enqueue(_ jobs: [NewJob], now: Date, _ db: Database) throws -> [JobID] {
        var sequence = try SequenceCounter(db, meta: tables.meta)
        let insert = try PreparedStatement(db, """
            INSERT INTO \(tables.jobs) (id, seq, name, payload, priority, state, run_at, enqueued_at, max_attempts, idempotency_key)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            """)
        let nowSeconds = now.timeIntervalSince1970
        var random = BatchedRandom(ids: jobs.count)
        let milliseconds = UInt64(max(0, (nowSeconds * 1_000).rounded(.down)))
        var ids: [JobID] = []
        ids.reserveCapacity(jobs.count)
        for new in jobs {
            let id = UUIDText.timeOrdered(unixMilliseconds: milliseconds, using: &random)
            let runAt = new.runAt ?? now
            insert.bind(id, at: 1)
            insert.bind(sequence.take(), at: 2)
            insert.bind(new.name, at: 3)
            insert.bind(new.payload, at: 4)
            insert.bind(new.priority.rank, at: 5)
            insert.bind(runAt > now ? JobState.scheduled.rawValue : JobState.waiting.rawValue, at: 6)
            insert.bind(runAt.timeIntervalSince1970, at: 7)
            insert.bind(nowSeconds, at: 8)
            insert.bind(new.maxAttempts, at: 9)
            insert.bind(new.idempotencyKey, at: 10)
            let inserted = try insert.run()
            if let key = new.idempotencyKey, inserted == 0 {
                ids.append(try existingJob(key: key, db))
            } else {
                ids.append(JobID(rawValue: id))
            }
        }
        try sequence.save(db)
        return ids
    }

    private func existingJob(key: String, _ db: Database) throws -> JobID {
        let select = try db.cachedStatement(sql: "SELECT id FROM \(tables.jobs) WHERE idempotency_key = ?")
        guard let id = try String.fetchOne(select, arguments: [key]) else {
            throw StreamingError.protocol("idempotency key \"\(key)\" conflicted, but no job holds it")
        }
        return JobID(rawValue: id)
    }

    // MARK: Claim

    /// Promotes due scheduled jobs, then leases up to `limit` ready jobs, highest priority
    /// and lowest sequence first. A row that cannot be read is moved to `dead` with a
    /// "corrupt record" error, and the claim goes on with the next rows.
    func claim(limit: Int, lease: Duration, now: Date, _ db: Database) throws -> [ClaimedJob] {
        var sequence = try SequenceCounter(db, meta: tables.meta)
        try promoteDue(now: now, sequence: &sequence, db)
        let select = try PreparedStatement(db, """
            SELECT \(JobRecord.columns) FROM \(tables.jobs) WHERE state = 'waiting' ORDER BY priority, seq LIMIT ?
            """)
        let take = try PreparedStatement(db, """
            UPDATE \(tables.jobs) SET state = 'processing', attempts = attempts + 1, lease_token = ?, lease_expires_at = ?
            WHERE rowid = ?
            """)
        let expiresAt = now.addingTimeInterval(lease.timeInterval)
        var random = BatchedRandom(ids: min(limit, 1_024))
        var claimed: [ClaimedJob] = []
        claimed.reserveCapacity(min(limit, 1_024))
        while claimed.count < limit {
            let wanted = limit - claimed.count
            var found: [(rowID: Int64, job: Result<Job, CorruptRecord>)] = []
            select.bind(wanted, at: 1)
            defer { select.reset() }
            while try select.step() {
                found.append((JobRecord.rowID(select), Result { () throws(CorruptRecord) in try JobRecord.decode(select) }))
            }
            select.reset()
            for (rowID, decoded) in found {
                switch decoded {
                case .success(var job):
                    let token = UUIDText.random(using: &random)
                    take.bind(token, at: 1)
                    take.bind(expiresAt.timeIntervalSince1970, at: 2)
                    take.bind(rowID, at: 3)
                    try take.run()
                    job.state = .processing
                    job.attempts += 1
                    claimed.append(ClaimedJob(job: job, lease: JobLease(id: job.id, token: token), leaseExpiresAt: expiresAt))
                case .failure(let corrupt):
                    try bury(rowID: rowID, corrupt, sequence: &sequence, db)
                }
            }
            if found.count < wanted { break }
        }
        try sequence.save(db)
        return claimed
    }

    /// Makes every scheduled job whose time has come ready, in run-at order, at the back
    /// of its priority's line.
    private func promoteDue(now: Date, sequence: inout SequenceCounter, _ db: Database) throws {
        let due = try db.cachedStatement(sql: """
            SELECT rowid FROM \(tables.jobs) WHERE state = 'scheduled' AND run_at <= ? ORDER BY run_at, seq
            """)
        let rowIDs = try Int64.fetchAll(due, arguments: [now.timeIntervalSince1970])
        guard !rowIDs.isEmpty else { return }
        let promote = try PreparedStatement(db, "UPDATE \(tables.jobs) SET state = 'waiting', seq = ? WHERE rowid = ?")
        for rowID in rowIDs {
            promote.bind(sequence.take(), at: 1)
            promote.bind(rowID, at: 2)
            try promote.run()
        }
    }

    /// Moves an unreadable row to `dead`, recording why, so it stops blocking the line.
    private func bury(rowID: Int64, _ corrupt: CorruptRecord, sequence: inout SequenceCounter, _ db: Database) throws {
        logger.error("moved a job that cannot be read to the dead jobs", metadata: [
            "job": "\(corrupt.id)", "reason": "\(corrupt.reason)",
        ])
        let bury = try db.cachedStatement(sql: """
            UPDATE \(tables.jobs) SET state = 'dead', last_error = ?, lease_token = NULL, lease_expires_at = NULL, seq = ?
            WHERE rowid = ?
            """)
        try bury.execute(arguments: [corrupt.description, sequence.take(), rowID])
    }
}
