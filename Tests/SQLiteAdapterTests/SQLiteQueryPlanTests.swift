import Foundation
import GRDB
import StreamingApplication
import StreamingDomain
import StreamingSQLite
import Testing

/// The queue's hot lookups use their partial indexes, never a scan of the table. The
/// statements here have the shapes the queue runs.
@Suite("SQLiteJobQueue query plans")
struct SQLiteQueryPlanTests {
    @Test(arguments: [
        ("claim", "SELECT rowid, payload FROM jobs WHERE state = 'waiting' ORDER BY priority, seq LIMIT 100", "jobs_waiting"),
        ("promote due", "SELECT rowid FROM jobs WHERE state = 'scheduled' AND run_at <= 5 ORDER BY run_at, seq", "jobs_scheduled"),
        ("recover", "SELECT id, lease_token FROM jobs WHERE state = 'processing' AND lease_expires_at < 5", "jobs_processing"),
        ("dead jobs", "SELECT rowid, payload FROM jobs WHERE state = 'dead' ORDER BY seq", "jobs_dead"),
        ("purge", "SELECT rowid FROM jobs WHERE state = 'completed' AND completed_at < 5 ORDER BY completed_at LIMIT 10", "jobs_completed"),
        ("release", "SELECT min(seq) FROM jobs WHERE state = 'waiting' AND priority = 1", "jobs_waiting"),
        ("oldest wait", "SELECT min(run_at) FROM jobs WHERE state = 'waiting'", "jobs_waiting"),
        ("count", "SELECT count(*) FROM jobs WHERE state = 'scheduled'", "jobs_scheduled"),
    ])
    func usesIndex(_ name: String, _ sql: String, _ index: String) async throws {
        try await TemporaryDatabase.with { database in
            let queue = try SQLiteJobQueue(path: database.path)
            // Enough rows in every state that a scan would not be free.
            _ = try await queue.enqueue((0..<200).map { NewJob(name: "j\($0)", runAt: Date(timeIntervalSince1970: Double($0 % 2 * 10))) },
                                        now: Date(timeIntervalSince1970: 5))
            try await queue.shutdown()
            let plan = try await database.rawConnection().read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN \(sql)").map { row -> String in row["detail"] }
            }
            #expect(plan.contains { $0.contains("INDEX \(index)") }, "\(name): \(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN jobs") && !$0.contains("INDEX") }, "\(name) scans the table: \(plan)")
        }
    }
}
