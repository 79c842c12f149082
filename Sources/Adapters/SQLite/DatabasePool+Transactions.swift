import GRDB
import StreamingApplication

extension DatabasePool {
    /// Runs `body` in one `BEGIN IMMEDIATE` transaction on GRDB's writer queue: it takes the
    /// file's write lock first, so writes from several connections and processes run one
    /// after another. SQLite failures become ``StreamingError/connection(_:)`` naming `operation`.
    func immediateTransaction<T: Sendable>(
        _ operation: String,
        path: String,
        busyTimeout: Duration,
        _ body: @Sendable (Database) throws -> T
    ) async throws -> T {
        do {
            return try await writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                return result!
            }
        } catch {
            throw SQLiteErrorMapping.map(error, operation: operation, path: path, busyTimeout: busyTimeout)
        }
    }

    /// Runs `body` in one read transaction, on a snapshot, on one of GRDB's reader queues.
    func snapshotRead<T: Sendable>(
        _ operation: String,
        path: String,
        busyTimeout: Duration,
        _ body: @Sendable (Database) throws -> T
    ) async throws -> T {
        do {
            return try await read(body)
        } catch {
            throw SQLiteErrorMapping.map(error, operation: operation, path: path, busyTimeout: busyTimeout)
        }
    }
}
