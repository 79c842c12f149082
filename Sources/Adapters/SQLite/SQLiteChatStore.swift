import Foundation
import GRDB
import StreamingApplication
import StreamingDomain

/// A durable ``ChatStore`` in one SQLite file, in WAL mode: rooms and every message ever
/// appended survive the process, and history pages back to a room's first message,
/// whatever its ``Room/messageHistory`` (that setting bounds what a server replays to a
/// member who joins, not what this store keeps).
///
/// The file may be the one a `SQLiteJobQueue` uses: the chat tables have their own names
/// and their own migrations (see `ChatSchema`).
///
/// Every operation is one transaction; writes begin with `BEGIN IMMEDIATE`, so they take
/// the file's write lock first and run one after another across connections and processes.
/// An ``append(_:)`` is all or nothing: a refused message rolls back the whole batch.
/// Connections are a GRDB `DatabasePool`, so ``history(ofRoom:beforeSeq:limit:)``,
/// ``lastSeq(inRoom:)`` and ``rooms()`` read a snapshot on their own connections while
/// another call writes. Every call runs on GRDB's dispatch queues (its async API), not on
/// Swift's cooperative pool.
///
/// Dates are stored as Unix seconds in a double, exact to well under a microsecond.
///
/// A stored row this code cannot read (a message whose sender it does not know, a mistyped
/// column, room settings that do not decode) fails the call that reads it with
/// `StreamingError.protocol("corrupt chat record: ...")`, naming the room and the message.
///
/// SQLite failures (the file cannot be opened or read, the disk is full, the file stays
/// locked past the busy timeout, the store was shut down) throw `StreamingError.connection`.
public final class SQLiteChatStore: ChatStore {
    /// The database file.
    public let path: String
    /// How long an operation waits for another connection's write lock before failing.
    public let busyTimeout: Duration

    private let pool: DatabasePool

    /// Opens (creating if needed) the store in the file at `path`, in WAL mode, and
    /// creates or upgrades its tables.
    ///
    /// - Parameters:
    ///   - path: The database file; its directory must exist. It may hold other tables,
    ///     such as a `SQLiteJobQueue`'s.
    ///   - busyTimeout: How long to wait for another connection's or process's write lock.
    /// - Throws: `StreamingError.connection` when the file cannot be opened, is not a
    ///   database, or stays locked; `StreamingError.invalidInput` for a negative timeout.
    public init(path: String, busyTimeout: Duration = .seconds(5)) throws {
        guard busyTimeout >= .zero else {
            throw StreamingError.invalidInput("busyTimeout must not be negative, got \(busyTimeout)")
        }
        self.path = path
        self.busyTimeout = busyTimeout
        var configuration = Configuration()
        configuration.label = "raaf.chat"
        configuration.busyMode = .timeout(busyTimeout.timeInterval)
        do {
            pool = try SchemaSetup.retrying(within: busyTimeout) {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try ChatSchema.migrator.migrate(pool)
                return pool
            }
        } catch {
            throw SQLiteErrorMapping.map(error, operation: "open", path: path, busyTimeout: busyTimeout)
        }
    }

    /// Stores a new room after every stored one, or replaces the settings of the room with
    /// the same name, keeping its place in the creation order and its messages.
    public func saveRoom(_ room: Room) async throws {
        try await write("save room") { db in try ChatRecords.saveRoom(room, db) }
    }

    /// Deletes the room and all its messages in one transaction; nothing for an unknown name.
    public func deleteRoom(named name: String) async throws {
        try await write("delete room") { db in try ChatRecords.deleteRoom(named: name, db) }
    }

    /// Every stored room, in creation order.
    ///
    /// - Throws: `StreamingError.protocol` when a room's stored settings do not decode.
    public func rooms() async throws -> [Room] {
        try await read("rooms") { db in try ChatRecords.rooms(db) }
    }

    /// Stores the messages, in order, in one transaction; each is kept for good.
    ///
    /// - Throws: `StreamingError.invalidInput`, storing none of the batch, when a message's
    ///   room is not stored or its `seq` is not above every `seq` stored for its room
    ///   (counting the messages earlier in the batch).
    public func append(_ messages: [RoomMessage]) async throws {
        guard !messages.isEmpty else { return }
        try await write("append") { db in try ChatRecords.append(messages, db) }
    }

    /// The highest `seq` stored for `room`, or 0; read from the end of the primary key.
    public func lastSeq(inRoom room: String) async throws -> Int {
        try await read("last seq") { db in try ChatRecords.lastSeq(inRoom: room, db) }
    }

    /// Up to `limit` messages of `room` just before `beforeSeq` (the latest when `nil`), in
    /// ascending `seq` order, read backwards along the primary key: a page costs the same
    /// however many messages the room has.
    ///
    /// - Throws: `StreamingError.protocol` when a row of the page cannot be read as a message.
    public func history(ofRoom room: String, beforeSeq: Int?, limit: Int) async throws -> [RoomMessage] {
        guard limit > 0 else { return [] }
        return try await read("history") { db in
            try ChatRecords.history(ofRoom: room, beforeSeq: beforeSeq, limit: limit, db)
        }
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

    // MARK: Transactions

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction on GRDB's writer queue.
    /// A write transaction on the file, for `/health`.
    public func healthCheck() async throws -> String? {
        try await write("health check") { db in
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS health_probe (at REAL NOT NULL)")
            try db.execute(sql: "DELETE FROM health_probe")
            try db.execute(sql: "INSERT INTO health_probe (at) VALUES (?)", arguments: [Date().timeIntervalSince1970])
        }
        return "sqlite"
    }

    private func write<T: Sendable>(_ operation: String, _ body: @Sendable (Database) throws -> T) async throws -> T {
        try await pool.immediateTransaction(operation, path: path, busyTimeout: busyTimeout, body)
    }

    /// Runs `body` in one read transaction, on a snapshot, on one of GRDB's reader queues.
    private func read<T: Sendable>(_ operation: String, _ body: @Sendable (Database) throws -> T) async throws -> T {
        try await pool.snapshotRead(operation, path: path, busyTimeout: busyTimeout, body)
    }
}
