import Foundation
import GRDB
import GRDBSQLite
import StreamingDomain

/// The chat store's operations on one database connection, each run by ``SQLiteChatStore``
/// inside a single transaction, and the reading of rows into ``Room``s and
/// ``RoomMessage``s.
///
/// A row that cannot be read (a sender this code does not know, a mistyped column, settings
/// that are not a room) throws `StreamingError.protocol` naming the row.
enum ChatRecords {
    // MARK: Rooms

    /// Inserts the room at the end of the creation order, or replaces the settings of the
    /// room with its name, keeping its place and its messages.
    static func saveRoom(_ room: Room, _ db: Database) throws {
        let settings = try encode(room)
        try db.cachedStatement(sql: """
            INSERT INTO chat_rooms (name, position, created_at, settings)
            VALUES (?, (SELECT coalesce(max(position), 0) + 1 FROM chat_rooms), ?, ?)
            ON CONFLICT (name) DO UPDATE SET created_at = excluded.created_at, settings = excluded.settings
            """).execute(arguments: [room.name, room.createdAt.timeIntervalSince1970, settings])
    }

    static func deleteRoom(named name: String, _ db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM chat_messages WHERE room = ?").execute(arguments: [name])
        try db.cachedStatement(sql: "DELETE FROM chat_rooms WHERE name = ?").execute(arguments: [name])
    }

    static func rooms(_ db: Database) throws -> [Room] {
        let select = try PreparedStatement(db, "SELECT name, settings FROM chat_rooms ORDER BY position")
        defer { select.reset() }
        var rooms: [Room] = []
        while try select.step() {
            let name = select.type(0) == SQLITE_TEXT ? select.text(0) : select.describe(0)
            guard select.type(1) == SQLITE_TEXT else {
                throw corrupt("room \"\(name)\": settings is \(select.describe(1)), not text")
            }
            var room = try decode(settings: select.text(1), room: name)
            // The key column is what lookups use, so it wins over the copy in the JSON.
            room.name = name
            rooms.append(room)
        }
        return rooms
    }

    // MARK: Messages

    /// Inserts the messages in order with one prepared statement, checking each against
    /// the last `seq` of its room (looked up once per room, then carried along the batch).
    /// A refused message throws, and the caller's transaction rolls the whole batch back.
    static func append(_ messages: [RoomMessage], _ db: Database) throws {
        let insert = try PreparedStatement(db, """
            INSERT INTO chat_messages (room, seq, sender, author, content, sent_at) VALUES (?, ?, ?, ?, ?, ?)
            """)
        var last: [String: Int] = [:]
        for message in messages {
            let previous: Int
            if let known = last[message.room] {
                previous = known
            } else {
                guard try roomExists(message.room, db) else {
                    throw StreamingError.invalidInput("no room named \"\(message.room)\" is stored")
                }
                previous = try lastSeq(inRoom: message.room, db)
            }
            guard message.seq > previous else {
                throw StreamingError.invalidInput(
                    "message seq \(message.seq) in room \"\(message.room)\" is not above the last seq \(previous)"
                )
            }
            insert.bind(message.room, at: 1)
            insert.bind(message.seq, at: 2)
            insert.bind(message.sender.rawValue, at: 3)
            insert.bind(message.author, at: 4)
            insert.bind(message.content, at: 5)
            insert.bind(message.sentAt.timeIntervalSince1970, at: 6)
            try insert.run()
            last[message.room] = message.seq
        }
    }

    private static func roomExists(_ name: String, _ db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM chat_rooms WHERE name = ?"), arguments: [name]) ?? false
    }

    /// The room's highest `seq`, found at the end of its primary key range.
    static func lastSeq(inRoom room: String, _ db: Database) throws -> Int {
        let select = try db.cachedStatement(sql: "SELECT seq FROM chat_messages WHERE room = ? ORDER BY seq DESC LIMIT 1")
        return try Int.fetchOne(select, arguments: [room]) ?? 0
    }

    /// Walks the primary key backwards from `beforeSeq` for up to `limit` rows, then
    /// turns them around into ascending order.
    static func history(ofRoom room: String, beforeSeq: Int?, limit: Int, _ db: Database) throws -> [RoomMessage] {
        let select = try PreparedStatement(db, """
            SELECT seq, sender, author, content, sent_at FROM chat_messages
            WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?
            """)
        defer { select.reset() }
        select.bind(room, at: 1)
        select.bind(beforeSeq ?? Int.max, at: 2)
        select.bind(limit, at: 3)
        var page: [RoomMessage] = []
        page.reserveCapacity(min(limit, 1_024))
        while try select.step() {
            page.append(try message(room: room, select))
        }
        page.reverse()
        return page
    }

    /// The current row of a history query as a message.
    private static func message(room: String, _ row: PreparedStatement) throws -> RoomMessage {
        guard row.type(0) == SQLITE_INTEGER else {
            throw corrupt("a message of room \"\(room)\": seq is \(row.describe(0)), not an integer")
        }
        let seq = Int(row.int64(0))
        func text(_ column: Int32, _ name: String) throws -> String {
            guard row.type(column) == SQLITE_TEXT else {
                throw corrupt("message \(seq) of room \"\(room)\": \(name) is \(row.describe(column)), not text")
            }
            return row.text(column)
        }
        let senderText = try text(1, "sender")
        guard let sender = RoomMessage.Sender(rawValue: senderText) else {
            throw corrupt("message \(seq) of room \"\(room)\": sender \"\(senderText)\" is not a known sender")
        }
        // Unix seconds; a row written by hand may hold them as an integer, which reads the same.
        guard row.type(4) == SQLITE_FLOAT || row.type(4) == SQLITE_INTEGER else {
            throw corrupt("message \(seq) of room \"\(room)\": sent_at is \(row.describe(4)), not a number")
        }
        return RoomMessage(
            room: room,
            seq: seq,
            sender: sender,
            author: try text(2, "author"),
            content: try text(3, "content"),
            sentAt: Date(timeIntervalSince1970: row.double(4))
        )
    }

    // MARK: Settings

    private static func encode(_ room: Room) throws -> String {
        do {
            return String(decoding: try JSONEncoder().encode(room), as: UTF8.self)
        } catch {
            throw StreamingError.invalidInput("room \"\(room.name)\" cannot be encoded: \(error)")
        }
    }

    private static func decode(settings: String, room name: String) throws -> Room {
        do {
            return try JSONDecoder().decode(Room.self, from: Data(settings.utf8))
        } catch {
            throw corrupt("room \"\(name)\": its settings are not a room (\(error))")
        }
    }

    private static func corrupt(_ reason: String) -> StreamingError {
        .protocol("corrupt chat record: \(reason)")
    }
}
