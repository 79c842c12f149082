import Foundation
import StreamingApplication
import StreamingDomain
import StreamingSQLite
import StreamingTestSupport
import Testing

@Suite("SQLiteJobQueue conformance")
struct SQLiteJobQueueConformanceTests {
    @Test(arguments: JobQueueConformance.cases)
    func conformance(_ check: JobQueueConformance.Case) async throws {
        try await TemporaryDatabase.with { database in
            try await check.run(on: SQLiteJobQueue(path: database.path))
        }
    }

    /// Named queues in one file.
    @Test(arguments: NamedQueueConformance.cases)
    func namedQueues(_ check: NamedQueueConformance.Case) async throws {
        try await TemporaryDatabase.with { database in
            let path = database.path
            try await check.run { name in try SQLiteJobQueue(path: path, queue: name) }
        }
    }

    @Test("a named queue's jobs survive reopening the file; the default queue of an older file is untouched")
    func namedQueueReopened() async throws {
        try await TemporaryDatabase.with { database in
            let old = try SQLiteJobQueue(path: database.path)
            _ = try await old.enqueue([NewJob(name: "j", payload: Array("old".utf8))], now: Date())
            let named = try SQLiteJobQueue(path: database.path, queue: "emails")
            _ = try await named.enqueue([NewJob(name: "j", payload: Array("mail".utf8))], now: Date())
            try await named.shutdown()
            let reopened = try SQLiteJobQueue(path: database.path, queue: "emails")
            let claimed = try await reopened.claim(limit: 10, lease: .seconds(30), now: Date())
            #expect(claimed.map { String(decoding: $0.job.payload, as: UTF8.self) } == ["mail"])
            #expect(try await old.stats(now: Date()).totalWaiting == 1)
            try await reopened.shutdown()
            try await old.shutdown()
        }
    }

    @Test("the conformance cases also pass with synchronous=FULL", arguments: JobQueueConformance.cases.prefix(3))
    func conformanceFull(_ check: JobQueueConformance.Case) async throws {
        try await TemporaryDatabase.with { database in
            try await check.run(on: SQLiteJobQueue(path: database.path, synchronous: .full))
        }
    }
}
