import GRDB
import StreamingDomain

/// Turns what SQLite and GRDB throw into ``StreamingError``s callers can react to.
enum SQLiteErrorMapping {
    /// - `StreamingError`s pass through; a cancelled task becomes `.cancelled`.
    /// - A value too large for SQLite becomes `.invalidInput`.
    /// - Every other SQLite error (the file cannot be opened or read, the disk is full,
    ///   the database stayed locked past the busy timeout, the queue was shut down)
    ///   becomes `.connection`, naming the operation, the file and SQLite's own message.
    static func map(_ error: any Error, operation: String, path: String, busyTimeout: Duration) -> StreamingError {
        switch error {
        case let error as StreamingError:
            return error
        case is CancellationError:
            return .cancelled
        case let error as DatabaseError:
            let message = error.message ?? "SQLite error \(error.extendedResultCode.rawValue)"
            switch error.resultCode {
            case .SQLITE_TOOBIG:
                return .invalidInput("\(operation): a value is larger than SQLite allows (\(message))")
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return .connection(
                    "SQLite \(operation) on \(path): \(message); still locked after the busy timeout of \(busyTimeout)"
                )
            case .SQLITE_FULL:
                return .connection("SQLite \(operation) on \(path): the disk is full (\(message))")
            case .SQLITE_CANTOPEN:
                return .connection("SQLite \(operation) on \(path): cannot open the file (\(message))")
            case .SQLITE_NOTADB, .SQLITE_CORRUPT:
                return .connection("SQLite \(operation) on \(path): the file is not a readable database (\(message))")
            default:
                return .connection("SQLite \(operation) on \(path): \(message) (code \(error.extendedResultCode.rawValue))")
            }
        default:
            return .connection("SQLite \(operation) on \(path): \(error)")
        }
    }
}
