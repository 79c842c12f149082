import GRDB
import GRDBSQLite

/// A statement prepared once per connection (GRDB's statement cache) and bound, stepped
/// and read through SQLite's C API, for the statements the queue runs once per job.
///
/// GRDB's `StatementArguments` box every value in an existential and an array; for an
/// enqueue of 10,000 jobs that was half the time. Binding here copies strings and blobs
/// once (`SQLITE_TRANSIENT`) and allocates nothing else. Use it only inside one of the
/// queue's transactions, on the connection that prepared it.
struct PreparedStatement {
    private let statement: Statement
    private var handle: OpaquePointer { statement.sqliteStatement }
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// The connection's cached statement for `sql`, reset and with no bindings.
    init(_ db: Database, _ sql: String) throws {
        try self.init(statement: db.cachedStatement(sql: sql))
    }

    /// A statement prepared for this call only (an `IN` list whose length varies).
    init(uncached db: Database, _ sql: String) throws {
        try self.init(statement: db.makeStatement(sql: sql))
    }

    private init(statement: Statement) {
        self.statement = statement
        sqlite3_reset(statement.sqliteStatement)
        sqlite3_clear_bindings(statement.sqliteStatement)
    }

    // MARK: Binding (parameters count from 1)

    func bind(_ value: String, at index: Int32) {
        var value = value
        value.withUTF8 { text in
            text.withMemoryRebound(to: CChar.self) { chars in
                if let start = chars.baseAddress, !chars.isEmpty {
                    _ = sqlite3_bind_text(handle, index, start, Int32(chars.count), Self.transient)
                } else {
                    _ = sqlite3_bind_text(handle, index, "", 0, Self.transient)
                }
            }
        }
    }

    func bind(_ value: String?, at index: Int32) {
        if let value { bind(value, at: index) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ value: Int64, at index: Int32) { sqlite3_bind_int64(handle, index, value) }

    func bind(_ value: Int, at index: Int32) { sqlite3_bind_int64(handle, index, Int64(value)) }

    func bind(_ value: Double, at index: Int32) { sqlite3_bind_double(handle, index, value) }

    func bind(_ value: Double?, at index: Int32) {
        if let value { bind(value, at: index) } else { sqlite3_bind_null(handle, index) }
    }

    /// A blob; an empty array is an empty blob (not NULL), `nil` is NULL.
    func bind(_ bytes: [UInt8]?, at index: Int32) {
        guard let bytes else {
            sqlite3_bind_null(handle, index)
            return
        }
        if bytes.isEmpty {
            sqlite3_bind_zeroblob(handle, index, 0)
        } else {
            bytes.withUnsafeBytes { raw in
                _ = sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), Self.transient)
            }
        }
    }

    // MARK: Running

    /// Runs the statement to its end and resets it; returns how many rows it changed.
    @discardableResult
    func run() throws -> Int {
        defer { sqlite3_reset(handle) }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE || code == SQLITE_ROW else { throw error(code) }
        return Int(sqlite3_changes(sqlite3_db_handle(handle)))
    }

    /// Steps to the next row: `true` when one is ready to read, `false` at the end.
    func step() throws -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw error(code)
        }
    }

    /// Ends a query early or after its last row, so the statement holds no read lock.
    func reset() { sqlite3_reset(handle) }

    private func error(_ code: Int32) -> DatabaseError {
        let connection = sqlite3_db_handle(handle)
        let message = sqlite3_errmsg(connection).map { String(cString: $0) }
        let extended = connection.map { sqlite3_extended_errcode($0) } ?? code
        return DatabaseError(resultCode: ResultCode(rawValue: extended), message: message, sql: statement.sql)
    }

    // MARK: Columns of the current row (counting from 0)

    /// `SQLITE_INTEGER`, `SQLITE_FLOAT`, `SQLITE_TEXT`, `SQLITE_BLOB` or `SQLITE_NULL`.
    func type(_ column: Int32) -> Int32 { sqlite3_column_type(handle, column) }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    /// The column as UTF-8 text (embedded NULs kept).
    func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// The column's bytes.
    func bytes(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let start = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: start, count: count))
    }

    /// A short description of the column's value, for error messages.
    func describe(_ column: Int32) -> String {
        switch type(column) {
        case SQLITE_NULL: return "NULL"
        case SQLITE_INTEGER: return "the integer \(int64(column))"
        case SQLITE_FLOAT: return "the real \(double(column))"
        case SQLITE_TEXT:
            let text = self.text(column)
            return "the text \"\(text.prefix(40))\(text.count > 40 ? "…" : "")\""
        default: return "a blob of \(sqlite3_column_bytes(handle, column)) bytes"
        }
    }
}
