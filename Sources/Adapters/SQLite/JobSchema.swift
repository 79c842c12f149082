import GRDB
import StreamingApplication
import StreamingDomain

/// The tables and indexes of the job queue, created and upgraded by a GRDB migrator.
///
/// Every index is partial, one per state the queue looks rows up by, so a state change
/// touches only the indexes of the state it leaves and the one it enters, and each lookup
/// walks exactly the rows it wants:
/// - claim: `state = 'waiting' ORDER BY priority, seq LIMIT n` walks `jobs_waiting` in order;
///   `run_at` and `state` make it a covering index for the oldest-wait statistic (SQLite
///   does not count a partial index's WHERE columns as covered, hence `state`);
/// - promote due: `state = 'scheduled' AND run_at <= now` searches `jobs_scheduled`;
/// - recover: `state = 'processing' AND lease_expires_at < now` searches `jobs_processing`;
/// - dead jobs, oldest first: `jobs_dead`; purge of completed jobs: `jobs_completed`;
/// - idempotency keys are unique through `jobs_idempotency_key`, which leaves out the
///   jobs without a key (most of them), so they cost it nothing.
///
/// There are no CHECK constraints on `priority` or `state`: a row written by a newer
/// version (or by hand) with a value this code does not know is reported as a corrupt
/// record on that job alone, not refused at the database level for everyone.
enum JobSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: jobs, meta") { db in
            // The default queue's tables: the same schema every named queue gets.
            try JobTables(queue: QueueName.defaultName).create(db)
        }
        return migrator
    }
}

/// The tables of one named queue in the file: the default queue (`default`) keeps the
/// original `jobs` and `queue_meta`; a queue named `emails` has `jobs__emails` and
/// `queue_meta__emails`, with indexes of their own, so queues share the file (and its write
/// lock) but never each other's rows, sequence or idempotency keys.
struct JobTables: Sendable, Hashable {
    let jobs: String
    let meta: String

    /// - Throws: `StreamingError.invalidInput` for a name that is not 1 to 64 letters, digits or `_`.
    init(queue: String) throws {
        guard QueueName.isValid(queue) else { throw StreamingError.invalidInput(QueueName.problem(queue)) }
        if queue == QueueName.defaultName {
            (jobs, meta) = ("jobs", "queue_meta")
        } else {
            (jobs, meta) = ("jobs__\(queue)", "queue_meta__\(queue)")
        }
    }

    /// Creates the tables of a named queue when missing (the default queue's come from the migrator).
    func create(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS \(jobs) (
                id TEXT PRIMARY KEY NOT NULL,
                seq INTEGER NOT NULL,
                name TEXT NOT NULL,
                payload BLOB NOT NULL,
                priority INTEGER NOT NULL,
                state TEXT NOT NULL,
                run_at REAL NOT NULL,
                enqueued_at REAL NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                max_attempts INTEGER NOT NULL,
                idempotency_key TEXT,
                last_error TEXT,
                result BLOB,
                lease_token TEXT,
                lease_expires_at REAL,
                completed_at REAL
            );
            CREATE UNIQUE INDEX IF NOT EXISTS \(jobs)_idempotency_key ON \(jobs)(idempotency_key) WHERE idempotency_key IS NOT NULL;
            CREATE INDEX IF NOT EXISTS \(jobs)_waiting ON \(jobs)(priority, seq, run_at, state) WHERE state = 'waiting';
            CREATE INDEX IF NOT EXISTS \(jobs)_scheduled ON \(jobs)(run_at, seq) WHERE state = 'scheduled';
            CREATE INDEX IF NOT EXISTS \(jobs)_processing ON \(jobs)(lease_expires_at) WHERE state = 'processing';
            CREATE INDEX IF NOT EXISTS \(jobs)_dead ON \(jobs)(seq) WHERE state = 'dead';
            CREATE INDEX IF NOT EXISTS \(jobs)_completed ON \(jobs)(completed_at) WHERE state = 'completed';
            CREATE TABLE IF NOT EXISTS \(meta) (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID;
            INSERT OR IGNORE INTO \(meta) (key, value) VALUES ('next_seq', 1), ('completed', 0);
            """)
    }
}
