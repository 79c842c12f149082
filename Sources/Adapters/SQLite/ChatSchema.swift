import GRDB

/// The tables of the chat store, created and upgraded by their own GRDB migrator.
///
/// They may live in the same file as the job queue's tables: the names differ, and GRDB's
/// migrators only run the migrations they know, so each store's migrator leaves the other's
/// migrations (recorded in the shared `grdb_migrations` table) alone.
///
/// - `chat_rooms`: one row per room. `settings` is the whole ``Room`` in its own `Codable`
///   JSON form, so a setting added to `Room` is kept without a new column or migration
///   (a field added later must decode when absent from older rows). `created_at` (Unix
///   seconds) is a copy for people inspecting the file. `position` numbers rooms in
///   creation order; replacing a room's settings keeps it, and it is an explicit column
///   because `rowid`s may be renumbered by `VACUUM`.
/// - `chat_messages`: every message ever appended, never trimmed. The primary key
///   `(room, seq)` is the index that history pages walk backwards
///   (`WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?`) and that finds a room's last
///   `seq`. It is an ordinary rowid table rather than `WITHOUT ROWID`: agent answers can
///   run to kilobytes, and a `WITHOUT ROWID` table keeps whole rows in its interior pages.
///
/// There is no foreign key from messages to rooms: SQLite enforces foreign keys only on
/// connections that turn them on, so the store checks that a room exists when appending
/// and deletes a room's messages itself.
///
/// There is no CHECK constraint on `sender`: a row with a sender this code does not know
/// (written by a newer version, or by hand) is reported as an error when read, not refused
/// for every writer at the database level.
enum ChatSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("chat v1: chat_rooms, chat_messages") { db in
            try db.execute(sql: """
                CREATE TABLE chat_rooms (
                    name TEXT PRIMARY KEY NOT NULL,
                    position INTEGER NOT NULL,
                    created_at REAL NOT NULL,
                    settings TEXT NOT NULL
                );
                CREATE UNIQUE INDEX chat_rooms_position ON chat_rooms(position);
                CREATE TABLE chat_messages (
                    room TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    sender TEXT NOT NULL,
                    author TEXT NOT NULL,
                    content TEXT NOT NULL,
                    sent_at REAL NOT NULL,
                    PRIMARY KEY (room, seq)
                );
                """)
        }
        return migrator
    }
}
