import GRDB

/// The queue's counters in its meta table (`queue_meta` for the default queue), read and written inside the caller's write
/// transaction, so every queue instance and process on the file shares them.
///
/// `next_seq` orders jobs: a job gets the next number whenever it joins the back of a
/// line (ready, scheduled or dead), so `ORDER BY seq` is first in, first out.
struct SequenceCounter {
    private(set) var next: Int64
    private let start: Int64

    /// Reads the counter; call ``save(_:)`` before the transaction ends if you took numbers.
    private let meta: String

    init(_ db: Database, meta: String) throws {
        next = try Int64.fetchOne(db, sql: "SELECT value FROM \(meta) WHERE key = 'next_seq'") ?? 1
        start = next
        self.meta = meta
    }

    /// The next number in line.
    mutating func take() -> Int64 {
        defer { next += 1 }
        return next
    }

    /// Stores the counter, if any number was taken.
    func save(_ db: Database) throws {
        guard next != start else { return }
        try db.execute(sql: "UPDATE \(meta) SET value = ? WHERE key = 'next_seq'", arguments: [next])
    }
}

/// The count of jobs completed since the file was created.
enum CompletedCounter {
    static func add(meta: String, _ count: Int, _ db: Database) throws {
        guard count > 0 else { return }
        try db.execute(sql: "UPDATE \(meta) SET value = value + ? WHERE key = 'completed'", arguments: [count])
    }

    static func read(meta: String, _ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT value FROM \(meta) WHERE key = 'completed'") ?? 0
    }
}
