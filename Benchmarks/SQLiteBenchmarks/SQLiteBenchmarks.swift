// The SQLite job queue on a temporary file: the raw commit rate of SQLite in WAL mode
// (plain GRDB, no queue code), the queue's round trip, and one large batch enqueue.
// Each sample runs on a fresh file; opening it is not measured.
// Run with `make bench`; figures go to docs/PERFORMANCE.md.
import Benchmark
import Foundation
import GRDB
import StreamingApplication
import StreamingDomain
import StreamingSQLite

/// A fresh directory holding one database file, removed by ``remove()``.
private struct TemporaryFile {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("raaf-sqlite-bench-\(UUID().uuidString)", isDirectory: true)
    var path: String { directory.appendingPathComponent("jobs.sqlite").path }

    init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

private let payload = Array(#"{"user":"u-12345","template":"reminder","locale":"en","at":"2026-11-21T10:00:00Z"}"#.utf8)
private let commits = 1_000
private let roundTripJobs = 10_000
private let batchJobs = 10_000

/// `commits` single-row INSERTs, each its own transaction (autocommit), on plain GRDB.
private func rawCommits(_ synchronous: SQLiteJobQueue.Synchronous, _ benchmark: Benchmark) throws {
    let file = try TemporaryFile()
    defer { file.remove() }
    var configuration = Configuration()
    configuration.journalMode = .wal
    let database = try DatabaseQueue(path: file.path, configuration: configuration)
    // After opening: GRDB's WAL setup sets NORMAL itself.
    try database.writeWithoutTransaction { db in
        try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)")
        try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)")
    }
    let data = Data(payload)
    benchmark.startMeasurement()
    try database.writeWithoutTransaction { db in
        let insert = try db.makeStatement(sql: "INSERT INTO t (payload) VALUES (?)")
        for _ in 0..<commits { try insert.execute(arguments: [data]) }
    }
    benchmark.stopMeasurement()
}

/// Enqueue in batches of 1,000, claim in batches of 100, complete each claimed batch.
private func roundTrip(_ synchronous: SQLiteJobQueue.Synchronous, _ benchmark: Benchmark) async throws {
    let file = try TemporaryFile()
    defer { file.remove() }
    let queue = try SQLiteJobQueue(path: file.path, synchronous: synchronous, completedRetention: .zero)
    let job = NewJob(name: "send_reminder", payload: payload)
    benchmark.startMeasurement()
    for _ in 0..<(roundTripJobs / 1_000) {
        _ = try await queue.enqueue(Array(repeating: job, count: 1_000), now: Date())
    }
    var done = 0
    while true {
        let claimed = try await queue.claim(limit: 100, lease: .seconds(60), now: Date())
        if claimed.isEmpty { break }
        done += try await queue.complete(claimed.map { JobCompletion(lease: $0.lease) }, now: Date()).count
    }
    benchmark.stopMeasurement()
    precondition(done == roundTripJobs, "completed \(done)")
    try await queue.shutdown()
}

/// One enqueue of `batchJobs` jobs.
private func batchEnqueue(_ benchmark: Benchmark) async throws {
    let file = try TemporaryFile()
    defer { file.remove() }
    let queue = try SQLiteJobQueue(path: file.path)
    let jobs = Array(repeating: NewJob(name: "send_reminder", payload: payload), count: batchJobs)
    benchmark.startMeasurement()
    let ids = try await queue.enqueue(jobs, now: Date())
    benchmark.stopMeasurement()
    precondition(ids.count == batchJobs)
    try await queue.shutdown()
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        scalingFactor: .one,
        maxDuration: .seconds(10),
        maxIterations: 30
    )
    for synchronous in SQLiteJobQueue.Synchronous.allCases {
        Benchmark("raw: \(commits) single-row INSERT commits, WAL, synchronous=\(synchronous.rawValue)") { benchmark in
            try rawCommits(synchronous, benchmark)
        }
        Benchmark("queue round trip: \(roundTripJobs) jobs, synchronous=\(synchronous.rawValue)") { benchmark in
            try await roundTrip(synchronous, benchmark)
        }
    }
    Benchmark("queue enqueue: one batch of \(batchJobs) jobs, synchronous=NORMAL") { benchmark in
        try await batchEnqueue(benchmark)
    }
}
