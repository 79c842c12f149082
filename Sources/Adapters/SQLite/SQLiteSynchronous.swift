extension SQLiteJobQueue {
    /// How hard SQLite syncs the write-ahead log to disk (`PRAGMA synchronous`).
    public enum Synchronous: String, Sendable, Hashable, CaseIterable {
        /// `NORMAL`: a commit survives a crash of the process; the last commits before a
        /// power loss or OS crash may be rolled back (the file stays consistent). Much faster.
        case normal = "NORMAL"
        /// `FULL`: every commit is synced to disk before it returns, so it also survives a
        /// power loss.
        case full = "FULL"
    }
}
