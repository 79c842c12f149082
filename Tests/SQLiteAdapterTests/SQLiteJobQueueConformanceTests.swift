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

    @Test("the conformance cases also pass with synchronous=FULL", arguments: JobQueueConformance.cases.prefix(3))
    func conformanceFull(_ check: JobQueueConformance.Case) async throws {
        try await TemporaryDatabase.with { database in
            try await check.run(on: SQLiteJobQueue(path: database.path, synchronous: .full))
        }
    }
}
