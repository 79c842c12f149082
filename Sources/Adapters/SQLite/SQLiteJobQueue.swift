import Foundation
import GRDB
import Logging
import StreamingApplication
import StreamingDomain

/// A durable ``JobQueue`` in one SQLite file, in WAL mode: jobs survive the process, and
/// several queue instances and processes can share the file.
///
/// Every operation is one transaction; writes begin with `BEGIN IMMEDIATE`, so they take
/// the file's write lock first and run one after another across connections and processes
/// (waiting up to the busy timeout for it). Claiming selects and leases its jobs inside one
/// such transaction, so no job is claimed twice while its lease is alive.
///
/// Connections are a GRDB `DatabasePool`, not a `DatabaseQueue`: writes are serialized
/// either way, but a pool lets ``job(_:)``, ``deadJobs(limit:)`` and ``stats(now:)`` read a
/// snapshot on their own connections while a claim or an enqueue is writing. Every call
/// runs on GRDB's dispatch queues (its async API), not on Swift's cooperative pool.
///
/// Completed jobs are kept with their results for `completedRetention`, then deleted a
/// bounded number at a time by ``complete(_:now:)`` and ``recoverExpiredLeases(now:)``.
///
/// A stored row this code cannot read (a priority or state it does not know, a mistyped
/// column) is an error on that job alone: ``claim(limit:lease:now:)`` moves it to `dead`
/// with the error `corrupt record: ...` and claims the next jobs; ``job(_:)`` throws
/// `StreamingError.protocol` for it; ``deadJobs(limit:)`` and ``requeueDead(_:now:)`` skip it.
///
/// SQLite failures (the file cannot be opened or read, the disk is full, the file stays
/// locked past the busy timeout, the queue was shut down) throw `StreamingError.connection`.
public final class SQLiteJobQueue: JobQueue {
    /// The database file.
    public let path: String
    /// The queue's name in the file (``QueueName``); `default` unless given.
    public let queueName: String
    /// How hard commits are synced to disk.
    public let synchronous: Synchronous
    /// How long completed jobs are kept with their results.
    public let completedRetention: Duration
    /// How long an operation waits for another connection's write lock before failing.
    public let busyTimeout: Duration

    private let pool: DatabasePool
    private let store: JobStore
    private let logger: Logger

    /// Opens (creating if needed) the queue in the file at `path`, in WAL mode, and
    /// creates or upgrades its tables.
    ///
    /// - Parameters:
    ///   - path: The database file; its directory must exist.
    ///   - queue: The queue's name in the file (``QueueName``): queues of different names
    ///     share the file but not their jobs.
    ///   - synchronous: `PRAGMA synchronous` for every connection: `.normal` (the default)
    ///     or `.full`.
    ///   - completedRetention: How long a completed job is kept with its result.
    ///   - busyTimeout: How long to wait for another connection's or process's write lock.
    ///   - logger: Where corrupt records and the opening of the file are logged.
    /// - Throws: `StreamingError.connection` when the file cannot be opened, is not a
    ///   database, or stays locked; `StreamingError.invalidInput` for a negative duration or
    ///   a queue name that is not valid.
    public init(
        path: String,
        queue: String = QueueName.defaultName,
        synchronous: Synchronous = .normal,
        completedRetention: Duration = .seconds(3600),
        busyTimeout: Duration = .seconds(5),
        logger: Logger = Logger(label: LogLabel.background)
    ) throws {
        guard completedRetention >= .zero else {
            throw StreamingError.invalidInput("completedRetention must not be negative, got \(completedRetention)")
        }
        guard busyTimeout >= .zero else {
            throw StreamingError.invalidInput("busyTimeout must not be negative, got \(busyTimeout)")
        }
        let tables = try JobTables(queue: queue)
        self.path = path
        self.queueName = queue
        self.synchronous = synchronous
        self.completedRetention = completedRetention
        self.busyTimeout = busyTimeout
        self.logger = logger
        store = JobStore(tables: tables, completedRetention: completedRetention.timeInterval, logger: logger)

        var configuration = Configuration()
        configuration.label = "raaf.jobs"
        configuration.busyMode = .timeout(busyTimeout.timeInterval)
        do {
            pool = try SchemaSetup.retrying(within: busyTimeout) {
                let pool = try DatabasePool(path: path, configuration: configuration)
                // Set on the pool's one writer connection, after GRDB's own WAL setup, which
                // sets `synchronous = NORMAL` after `prepareDatabase` would have run.
                try pool.writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)")
                }
                try JobSchema.migrator.migrate(pool)
                if queue != QueueName.defaultName {
                    try pool.write { db in try tables.create(db) }
                }
                return pool
            }
        } catch {
            throw SQLiteErrorMapping.map(error, operation: "open", path: path, busyTimeout: busyTimeout)
        }
        logger.debug("job queue opened", metadata: ["path": "\(path)", "synchronous": "\(synchronous.rawValue)"])
    }

    /// Stores the jobs in one transaction with one prepared insert; returns their ids. A job
    /// whose idempotency key is already stored (or earlier in the batch) gets that job's id.
    ///
    /// - Throws: `StreamingError.invalidInput` for a job without a name or attempts, before
    ///   anything is stored.
    public func enqueue(_ jobs: [NewJob], now: Date) async throws -> [JobID] {
        try jobs.forEach(Self.validate)
        guard !jobs.isEmpty else { return [] }
        return try await write("enqueue") { [store] db in try store.enqueue(jobs, now: now, db) }
    }

    /// Promotes due scheduled jobs and leases up to `limit` ready ones, highest priority and
    /// oldest first, in one `BEGIN IMMEDIATE` transaction. Rows that cannot be read are
    /// moved to `dead` with the error `corrupt record: ...` and skipped.
    public func claim(limit: Int, lease: Duration, now: Date) async throws -> [ClaimedJob] {
        guard limit > 0 else { return [] }
        return try await write("claim") { [store] db in try store.claim(limit: limit, lease: lease, now: now, db) }
    }

    /// Completes the held leases' jobs in one transaction, keeping each result for
    /// `completedRetention`; returns the leases that were held.
    public func complete(_ completions: [JobCompletion], now: Date) async throws -> [JobLease] {
        guard !completions.isEmpty else { return [] }
        return try await write("complete") { [store] db in try store.complete(completions, now: now, db) }
    }

    /// Ends a held lease with a failure: the job is `scheduled` at `retryAt`, or `dead` when
    /// `retryAt` is `nil` or its attempts are used up. Returns whether the lease was held.
    public func fail(_ lease: JobLease, error: String, retryAt: Date?, now: Date) async throws -> Bool {
        try await write("fail") { [store] db in try store.fail(lease, error: error, retryAt: retryAt, db) }
    }

    /// Gives held leases back without counting their attempts: each job goes to the front of
    /// its priority's line. Returns the leases that were held.
    public func release(_ leases: [JobLease], now: Date) async throws -> [JobLease] {
        guard !leases.isEmpty else { return [] }
        return try await write("release") { [store] db in try store.release(leases, db) }
    }

    /// Extends a held lease to `now + duration`. Returns whether it was held.
    public func renew(_ lease: JobLease, lease duration: Duration, now: Date) async throws -> Bool {
        try await write("renew") { [store] db in try store.renew(lease, duration: duration, now: now, db) }
    }

    /// Schedules again at `now` (or buries, after the last attempt) every job whose lease
    /// ended before `now`, with the error "the worker's lease ended before it finished";
    /// returns how many. Also purges a bounded number of completed jobs past retention.
    public func recoverExpiredLeases(now: Date) async throws -> Int {
        try await write("recover") { [store] db in try store.recoverExpiredLeases(now: now, db) }
    }

    /// The job with `id`, in whatever state it is, if the file still has it.
    ///
    /// - Throws: `StreamingError.protocol("corrupt record: ...")` when its stored row cannot
    ///   be read as a job.
    public func job(_ id: JobID) async throws -> Job? {
        try await read("job") { [store] db in try store.job(id, db) }
    }

    /// Up to `limit` dead jobs, in the order they died. Unreadable rows are skipped and logged.
    public func deadJobs(limit: Int) async throws -> [Job] {
        try await read("dead jobs") { [store] db in try store.deadJobs(limit: limit, db) }
    }

    /// Makes dead jobs ready again with their attempts reset, in the order they died: those in
    /// `ids`, or all when `ids` is `nil`. Unreadable rows stay dead. Returns how many.
    public func requeueDead(_ ids: [JobID]?, now: Date) async throws -> Int {
        try await write("requeue dead") { [store] db in try store.requeueDead(ids, now: now, db) }
    }

    /// Counts per state from the partial indexes, the completed count from the file's
    /// counter, and the age of the oldest ready job, read from one snapshot.
    public func stats(now: Date) async throws -> JobQueueStats {
        try await read("stats") { [store] db in try store.stats(now: now, db) }
    }

    /// Closes the file's connections once running operations end; later calls throw
    /// `StreamingError.connection`. Another instance or process can go on using the file.
    public func shutdown() async throws {
        do {
            try pool.close()
        } catch {
            throw SQLiteErrorMapping.map(error, operation: "close", path: path, busyTimeout: busyTimeout)
        }
    }

    /// The writer connection's `PRAGMA synchronous` (1 NORMAL, 2 FULL), for tests.
    /// A write transaction on the file (the queue's meta table), for `/health`.
    public func healthCheck(now: Date) async throws -> String? {
        try await write("health check") { [store] db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO \(store.tables.meta) (key, value) VALUES ('health_probe', ?)",
                arguments: [Int64(now.timeIntervalSince1970)])
        }
        return "sqlite (queue \(queueName))"
    }

    func writerSynchronous() async throws -> Int {
        try await pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    // MARK: Transactions

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction on GRDB's writer queue.
    private func write<T: Sendable>(_ operation: String, _ body: @Sendable (Database) throws -> T) async throws -> T {
        try await pool.immediateTransaction(operation, path: path, busyTimeout: busyTimeout, body)
    }

    /// Runs `body` in one read transaction, on a snapshot, on one of GRDB's reader queues.
    private func read<T: Sendable>(_ operation: String, _ body: @Sendable (Database) throws -> T) async throws -> T {
        try await pool.snapshotRead(operation, path: path, busyTimeout: busyTimeout, body)
    }

    /// The checks every backend makes before storing anything.
    static func validate(_ job: NewJob) throws {
        guard !job.name.isEmpty else { throw StreamingError.invalidInput("a job needs a name") }
        guard job.maxAttempts >= 1 else {
            throw StreamingError.invalidInput("maxAttempts of job \(job.name) must be at least 1")
        }
    }
}
