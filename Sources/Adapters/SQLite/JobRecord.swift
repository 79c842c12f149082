import Foundation
import GRDBSQLite
import StreamingDomain

/// A stored row that cannot be read as a ``Job``: a priority or state this code does not
/// know, a missing or mistyped column. It concerns that job alone.
struct CorruptRecord: Error, CustomStringConvertible {
    /// The job's id, as stored.
    var id: String
    /// What is wrong with the row.
    var reason: String

    var description: String { "corrupt record: job \(id): \(reason)" }
}

/// Reads rows of the `jobs` table into ``Job`` values, checking every column's type.
enum JobRecord {
    /// The columns every job query selects first, in the order ``decode(_:)`` reads them.
    static let columns = """
        rowid, id, name, payload, priority, state, run_at, enqueued_at, attempts, max_attempts, \
        idempotency_key, last_error, result
        """

    /// How many columns ``columns`` names; a query may select more after them.
    static let columnCount: Int32 = 13

    /// The rowid (column 0) of the current row.
    static func rowID(_ row: PreparedStatement) -> Int64 { row.int64(0) }

    /// The current row as a job, or the reason it cannot be one.
    static func decode(_ row: PreparedStatement) throws(CorruptRecord) -> Job {
        let reader = Reader(row: row, id: row.type(1) == SQLITE_TEXT ? row.text(1) : row.describe(1))
        let rank = try reader.integer(4, "priority")
        guard let priority = JobPriority.allCases.first(where: { Int64($0.rank) == rank }) else {
            throw CorruptRecord(id: reader.id, reason: "priority \(rank) is not a known rank")
        }
        let stateText = try reader.text(5, "state")
        guard let state = JobState(rawValue: stateText) else {
            throw CorruptRecord(id: reader.id, reason: "state \"\(stateText)\" is not a known state")
        }
        return Job(
            id: JobID(rawValue: try reader.text(1, "id")),
            name: try reader.text(2, "name"),
            payload: try reader.bytes(3, "payload") ?? [],
            priority: priority,
            state: state,
            runAt: try reader.date(6, "run_at"),
            enqueuedAt: try reader.date(7, "enqueued_at"),
            attempts: Int(try reader.integer(8, "attempts")),
            maxAttempts: Int(try reader.integer(9, "max_attempts")),
            idempotencyKey: try reader.optionalText(10, "idempotency_key"),
            lastError: try reader.optionalText(11, "last_error"),
            result: try reader.bytes(12, "result")
        )
    }

    /// Reads typed columns, naming the column and the job in every failure.
    private struct Reader {
        let row: PreparedStatement
        let id: String

        func fail(_ column: Int32, _ name: String, expected: String) -> CorruptRecord {
            CorruptRecord(id: id, reason: "\(name) is \(row.describe(column)), not \(expected)")
        }

        func text(_ column: Int32, _ name: String) throws(CorruptRecord) -> String {
            guard row.type(column) == SQLITE_TEXT else { throw fail(column, name, expected: "text") }
            return row.text(column)
        }

        func optionalText(_ column: Int32, _ name: String) throws(CorruptRecord) -> String? {
            switch row.type(column) {
            case SQLITE_NULL: return nil
            case SQLITE_TEXT: return row.text(column)
            default: throw fail(column, name, expected: "text or NULL")
            }
        }

        func integer(_ column: Int32, _ name: String) throws(CorruptRecord) -> Int64 {
            switch row.type(column) {
            case SQLITE_INTEGER: return row.int64(column)
            case SQLITE_FLOAT:
                let number = row.double(column)
                guard number.rounded() == number, abs(number) < 9e15 else { fallthrough }
                return Int64(number)
            default: throw fail(column, name, expected: "an integer")
            }
        }

        func date(_ column: Int32, _ name: String) throws(CorruptRecord) -> Date {
            switch row.type(column) {
            case SQLITE_FLOAT:
                let seconds = row.double(column)
                guard seconds.isFinite else { fallthrough }
                return Date(timeIntervalSince1970: seconds)
            case SQLITE_INTEGER: return Date(timeIntervalSince1970: Double(row.int64(column)))
            default: throw fail(column, name, expected: "a time in seconds since 1970")
            }
        }

        func bytes(_ column: Int32, _ name: String) throws(CorruptRecord) -> [UInt8]? {
            switch row.type(column) {
            case SQLITE_NULL: return nil
            case SQLITE_BLOB: return row.bytes(column)
            default: throw fail(column, name, expected: "a blob")
            }
        }
    }
}
