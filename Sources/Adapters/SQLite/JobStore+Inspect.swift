import Foundation
import GRDB
import StreamingApplication
import StreamingDomain

/// Reading jobs and counts, and bringing dead jobs back.
extension JobStore {
    /// The job with `id`. A stored row that cannot be read throws
    /// `StreamingError.protocol("corrupt record: ...")`: the error concerns that job alone.
    func job(_ id: JobID, _ db: Database) throws -> Job? {
        let select = try PreparedStatement(db, "SELECT \(JobRecord.columns) FROM \(tables.jobs) WHERE id = ?")
        select.bind(id.rawValue, at: 1)
        defer { select.reset() }
        guard try select.step() else { return nil }
        do throws(CorruptRecord) {
            return try JobRecord.decode(select)
        } catch {
            throw StreamingError.protocol(error.description)
        }
    }

    /// Up to `limit` dead jobs, in the order they died. Rows that cannot be read are
    /// skipped (and logged): ``job(_:_:)`` reports each of them, and stats count them.
    func deadJobs(limit: Int, _ db: Database) throws -> [Job] {
        guard limit > 0 else { return [] }
        let select = try PreparedStatement(db, "SELECT \(JobRecord.columns) FROM \(tables.jobs) WHERE state = 'dead' ORDER BY seq")
        defer { select.reset() }
        var dead: [Job] = []
        while dead.count < limit, try select.step() {
            do {
                dead.append(try JobRecord.decode(select))
            } catch {
                logger.warning("skipped a dead job that cannot be read", metadata: ["reason": "\(error)"])
            }
        }
        return dead
    }

    /// Makes dead jobs ready again, in the order they died, at the back of their lines,
    /// with attempts reset and run-at `now`. Rows that cannot be read stay dead (claiming
    /// them would only bury them again).
    func requeueDead(_ ids: [JobID]?, now: Date, _ db: Database) throws -> Int {
        var sequence = try SequenceCounter(db, meta: tables.meta)
        var chosen: [(seq: Int64, rowID: Int64)] = []
        func collect(_ rows: PreparedStatement) throws {
            defer { rows.reset() }
            while try rows.step() {
                guard (try? JobRecord.decode(rows)) != nil else { continue }
                chosen.append((rows.int64(JobRecord.columnCount), JobRecord.rowID(rows)))
            }
        }
        let columns = "\(JobRecord.columns), seq"
        if let ids {
            let unique = Array(Set(ids.map(\.rawValue)))
            for start in stride(from: 0, to: unique.count, by: 500) {
                let chunk = unique[start..<min(start + 500, unique.count)]
                let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                let select = try PreparedStatement(
                    uncached: db, "SELECT \(columns) FROM \(tables.jobs) WHERE state = 'dead' AND id IN (\(placeholders))"
                )
                for (offset, id) in chunk.enumerated() { select.bind(id, at: Int32(offset + 1)) }
                try collect(select)
            }
            chosen.sort { $0.seq < $1.seq }
        } else {
            try collect(try PreparedStatement(db, "SELECT \(columns) FROM \(tables.jobs) WHERE state = 'dead' ORDER BY seq"))
        }
        let requeue = try PreparedStatement(db, "UPDATE \(tables.jobs) SET state = 'waiting', attempts = 0, run_at = ?, seq = ? WHERE rowid = ?")
        for (_, rowID) in chosen {
            requeue.bind(now.timeIntervalSince1970, at: 1)
            requeue.bind(sequence.take(), at: 2)
            requeue.bind(rowID, at: 3)
            try requeue.run()
        }
        try sequence.save(db)
        return chosen.count
    }

    /// Counts per state, each from its partial index; the oldest wait from `jobs_waiting`.
    func stats(now: Date, _ db: Database) throws -> JobQueueStats {
        var waiting: [JobPriority: Int] = [.high: 0, .normal: 0, .low: 0]
        let perPriority = try Row.fetchAll(
            db, sql: "SELECT priority, count(*) FROM \(tables.jobs) WHERE state = 'waiting' GROUP BY priority"
        )
        for row in perPriority {
            let rank: Int64? = row[0]
            if let priority = JobPriority.allCases.first(where: { Int64($0.rank) == rank }) {
                let count: Int = row[1]
                waiting[priority] = count
            }
        }
        func count(_ state: String) throws -> Int {
            try Int.fetchOne(db, sql: "SELECT count(*) FROM \(tables.jobs) WHERE state = '\(state)'") ?? 0
        }
        let oldest = try Double.fetchOne(db, sql: "SELECT min(run_at) FROM \(tables.jobs) WHERE state = 'waiting'")
        return JobQueueStats(
            waiting: waiting,
            scheduled: try count("scheduled"),
            processing: try count("processing"),
            dead: try count("dead"),
            completed: try CompletedCounter.read(meta: tables.meta, db),
            oldestWaitingAge: oldest.map { max(0, now.timeIntervalSince1970 - $0) } ?? 0
        )
    }
}
