import Foundation
import GRDB
import StreamingApplication
import StreamingDomain
import StreamingSQLite
import Testing

@Suite("SQLiteJobQueue corrupt records")
struct SQLiteCorruptRecordTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("a row with an unknown priority is buried by claim, which goes on with the others")
    func unknownPriority() async throws {
        try await TemporaryDatabase.with { database in
            let queue = try SQLiteJobQueue(path: database.path)
            let ids = try await queue.enqueue(["one", "two", "three"].map { NewJob(name: $0) }, now: start)
            try await database.rawConnection().write { db in
                try db.execute(sql: "UPDATE jobs SET priority = 7 WHERE id = ?", arguments: [ids[1].rawValue])
            }
            let claimed = try await queue.claim(limit: 10, lease: .seconds(30), now: start)
            #expect(claimed.map(\.job.name) == ["one", "three"])
            let lastError = try await database.rawConnection().read { db in
                try String.fetchOne(db, sql: "SELECT last_error FROM jobs WHERE id = ? AND state = 'dead'", arguments: [ids[1].rawValue])
            }
            #expect(lastError?.hasPrefix("corrupt record: ") == true, "\(String(describing: lastError))")
            #expect(lastError?.contains("priority 7") == true)
            await expectCorrupt(queue, ids[1])
            #expect(try await queue.job(ids[0])?.state == .processing, "other jobs read as usual")
            let stats = try await queue.stats(now: start)
            #expect(stats.dead == 1 && stats.processing == 2)
            #expect(try await queue.deadJobs(limit: 10).isEmpty, "an unreadable dead job is skipped in the list")
            #expect(try await queue.requeueDead(nil, now: start) == 0, "an unreadable dead job is not requeued")
            try await queue.shutdown()
        }
    }

    @Test("a corrupt row in the middle of a claim's batch does not cost the claim a job")
    func claimFillsItsLimit() async throws {
        try await TemporaryDatabase.with { database in
            let queue = try SQLiteJobQueue(path: database.path)
            let ids = try await queue.enqueue((0..<6).map { NewJob(name: "j\($0)") }, now: start)
            try await database.rawConnection().write { db in
                try db.execute(sql: "UPDATE jobs SET payload = 'not a blob' WHERE id = ?", arguments: [ids[0].rawValue])
                try db.execute(sql: "UPDATE jobs SET run_at = 'soon' WHERE id = ?", arguments: [ids[2].rawValue])
            }
            let claimed = try await queue.claim(limit: 3, lease: .seconds(30), now: start)
            #expect(claimed.map(\.job.name) == ["j1", "j3", "j4"])
            #expect(try await queue.stats(now: start).dead == 2)
            await expectCorrupt(queue, ids[0])
            await expectCorrupt(queue, ids[2])
            try await queue.shutdown()
        }
    }

    @Test("a row in a state the code does not know is reported by job(id) and left alone by the rest")
    func unknownState() async throws {
        try await TemporaryDatabase.with { database in
            let queue = try SQLiteJobQueue(path: database.path)
            let ids = try await queue.enqueue([NewJob(name: "a"), NewJob(name: "b")], now: start)
            try await database.rawConnection().write { db in
                try db.execute(sql: "UPDATE jobs SET state = 'paused' WHERE id = ?", arguments: [ids[0].rawValue])
            }
            await expectCorrupt(queue, ids[0])
            #expect(try await queue.claim(limit: 10, lease: .seconds(30), now: start).map(\.job.name) == ["b"])
            #expect(try await queue.recoverExpiredLeases(now: start.addingTimeInterval(3600)) == 1)
            try await queue.shutdown()
        }
    }

    private func expectCorrupt(_ queue: SQLiteJobQueue, _ id: JobID, sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            let job = try await queue.job(id)
            Issue.record("read a corrupt record as \(String(describing: job))", sourceLocation: sourceLocation)
        } catch let error as StreamingError {
            guard case .protocol(let message) = error else {
                Issue.record("wrong error \(error)", sourceLocation: sourceLocation)
                return
            }
            #expect(message.hasPrefix("corrupt record: job \(id.rawValue)"), sourceLocation: sourceLocation)
        } catch {
            Issue.record("untyped error \(error)", sourceLocation: sourceLocation)
        }
    }
}
