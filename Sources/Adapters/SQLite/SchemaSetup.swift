import Foundation
import GRDB

/// Opening a file that another connection or process is setting up at the same moment: a
/// worker and an `enqueue` started together on a new file, or several nodes at once.
///
/// GRDB's migrator reads which migrations are applied, then applies the others, each in
/// its own transaction; two openers can both read "none applied", and the second then fails
/// on `grdb_migrations`' unique identifier or on a table the first one just created (or
/// finds the file locked while the first one switches it to WAL or writes its schema). Neither is a failure of the file: the setup is
/// tried again, reading what the other one applied, until `busyTimeout` has passed.
enum SchemaSetup {
    static func retrying<Value>(within busyTimeout: Duration, _ setUp: () throws -> Value) throws -> Value {
        let deadline = ContinuousClock.now + busyTimeout
        var pause = Duration.milliseconds(5)
        while true {
            do {
                return try setUp()
            } catch let error as DatabaseError where isRace(error) && ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: pause.timeInterval)
                pause = min(pause * 2, .milliseconds(100))
            }
        }
    }

    /// A lock held by another opener, or the migration it applied first. (A file whose
    /// tables exist without their migration being recorded fails the same way, once the
    /// time is up.)
    static func isRace(_ error: DatabaseError) -> Bool {
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: true
        case .SQLITE_CONSTRAINT: error.message?.contains("grdb_migrations") == true
        case .SQLITE_ERROR: error.message?.contains("already exists") == true
        default: false
        }
    }
}
