import Foundation
import GRDB
import StreamingApplication
import StreamingDomain
@testable import StreamingSQLite
import Testing

@Suite("SQLiteJobQueue errors")
struct SQLiteErrorTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("a file in a directory that does not exist is a connection error")
    func missingDirectory() async throws {
        try await TemporaryDatabase.with { database in
            let path = database.directory.appendingPathComponent("missing/jobs.sqlite").path
            let error = #expect(throws: StreamingError.self) { try SQLiteJobQueue(path: path) }
            guard case .connection(let message) = error else {
                Issue.record("got \(String(describing: error))")
                return
            }
            #expect(message.contains(path) && message.contains("open"), "\(message)")
        }
    }

    @Test("a file that is not a database is a connection error")
    func notADatabase() async throws {
        try await TemporaryDatabase.with { database in
            try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: database.path))
            let error = #expect(throws: StreamingError.self) { try SQLiteJobQueue(path: database.path) }
            guard case .connection(let message) = error else {
                Issue.record("got \(String(describing: error))")
                return
            }
            #expect(message.contains("not a readable database"), "\(message)")
        }
    }

    @Test("a file locked past the busy timeout is a connection error, and the queue works once it is free")
    func lockedPastTimeout() async throws {
        try await TemporaryDatabase.with { database in
            let queue = try SQLiteJobQueue(path: database.path, busyTimeout: .milliseconds(200))
            let raw = try database.rawConnection(allowingOpenTransactions: true)
            try await raw.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
            let began = ContinuousClock.now
            let error = await #expect(throws: StreamingError.self) {
                try await queue.enqueue(NewJob(name: "j"), now: start)
            }
            #expect(ContinuousClock.now - began >= .milliseconds(150), "did not wait for the lock")
            guard case .connection(let message) = error else {
                Issue.record("got \(String(describing: error))")
                return
            }
            #expect(message.contains("locked") && message.contains("busy timeout"), "\(message)")
            try await raw.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
            _ = try await queue.enqueue(NewJob(name: "j"), now: start)
            #expect(try await queue.stats(now: start).totalWaiting == 1)
            try await queue.shutdown()
        }
    }

    @Test("calls after shutdown are connection errors; enqueue validation is invalid input")
    func afterShutdown() async throws {
        try await TemporaryDatabase.with { database in
            let queue = try SQLiteJobQueue(path: database.path)
            await #expect(throws: StreamingError.invalidInput("a job needs a name")) {
                try await queue.enqueue(NewJob(name: ""), now: start)
            }
            try await queue.shutdown()
            let error = await #expect(throws: StreamingError.self) {
                try await queue.claim(limit: 1, lease: .seconds(1), now: start)
            }
            #expect(error?.code == "connection", "\(String(describing: error))")
        }
    }

    @Test("negative durations are refused")
    func negativeDurations() async throws {
        try await TemporaryDatabase.with { database in
            #expect(throws: StreamingError.self) {
                try SQLiteJobQueue(path: database.path, completedRetention: .seconds(-1))
            }
        }
    }

    @Test("the synchronous setting reaches the writer connection", arguments: SQLiteJobQueue.Synchronous.allCases)
    func synchronous(_ setting: SQLiteJobQueue.Synchronous) async throws {
        try await TemporaryDatabase.with { database in
            let queue = try SQLiteJobQueue(path: database.path, synchronous: setting)
            #expect(try await queue.writerSynchronous() == (setting == .full ? 2 : 1))
            try await queue.shutdown()
        }
    }
}
