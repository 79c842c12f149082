import Foundation
import GRDB

/// A fresh directory for one test's database file (and its `-wal` and `-shm` files),
/// removed when the test ends, pass or fail.
struct TemporaryDatabase {
    let directory: URL

    /// The database file's path.
    var path: String { directory.appendingPathComponent("jobs.sqlite").path }

    @discardableResult
    static func with<T>(_ body: (TemporaryDatabase) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("raaf-sqlite-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(TemporaryDatabase(directory: directory))
    }

    /// A plain GRDB connection to the same file, for what the queue's API cannot do:
    /// raw updates that corrupt a row, query plans, holding the write lock.
    func rawConnection(allowingOpenTransactions: Bool = false) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = allowingOpenTransactions
        configuration.busyMode = .timeout(5)
        return try DatabaseQueue(path: path, configuration: configuration)
    }
}
