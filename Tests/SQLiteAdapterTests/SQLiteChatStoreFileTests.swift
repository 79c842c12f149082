import Foundation
import GRDB
import StreamingApplication
import StreamingDomain
import StreamingSQLite
import StreamingTestSupport
import Testing

/// The chat store's file: shared with the job queue, rows it cannot read, query plans.
@Suite("SQLiteChatStore file")
struct SQLiteChatStoreFileTests {
    typealias Conformance = ChatStoreConformance

    @Test("the chat store and the job queue share one file, opened in either order")
    func sharesTheFileWithTheJobQueue() async throws {
        try await TemporaryDatabase.with { database in
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            let queue = try SQLiteJobQueue(path: database.path)
            let store = try SQLiteChatStore(path: database.path)
            _ = try await queue.enqueue([NewJob(name: "reply", payload: [1])], now: start)
            try await store.saveRoom(Conformance.room("lobby"))
            try await store.append(Conformance.messages("lobby", 1...3))
            try await store.shutdown()
            try await queue.shutdown()

            // Reopened the other way round, each finds its own tables and leaves the other's alone.
            let store2 = try SQLiteChatStore(path: database.path)
            let queue2 = try SQLiteJobQueue(path: database.path)
            #expect(try await store2.history(ofRoom: "lobby", beforeSeq: nil, limit: 10) == Conformance.messages("lobby", 1...3))
            let claimed = try await queue2.claim(limit: 10, lease: .seconds(30), now: start)
            #expect(claimed.map(\.job.name) == ["reply"])
            try await queue2.shutdown()
            try await store2.shutdown()
        }
    }

    @Test("a message with an unknown sender fails the reads that meet it with a protocol error, and only those")
    func unknownSender() async throws {
        try await TemporaryDatabase.with { database in
            let store = try SQLiteChatStore(path: database.path)
            try await store.saveRoom(Conformance.room("lobby"))
            try await store.append(Conformance.messages("lobby", 1...4))
            try await database.rawConnection().write { db in
                try db.execute(sql: "UPDATE chat_messages SET sender = 'robot' WHERE room = 'lobby' AND seq = 3")
            }
            await #expect(throws: StreamingError.protocol(
                "corrupt chat record: message 3 of room \"lobby\": sender \"robot\" is not a known sender"
            )) {
                try await store.history(ofRoom: "lobby", beforeSeq: nil, limit: 10)
            }
            // Pages that do not hold the row still read, and appending goes on.
            #expect(try await store.history(ofRoom: "lobby", beforeSeq: 3, limit: 10).map(\.seq) == [1, 2])
            #expect(try await store.history(ofRoom: "lobby", beforeSeq: nil, limit: 1).map(\.seq) == [4])
            #expect(try await store.lastSeq(inRoom: "lobby") == 4)
            try await store.append([Conformance.message("lobby", 5)])
            try await store.shutdown()
        }
    }

    @Test("room settings that do not decode fail the listing with a protocol error")
    func unreadableSettings() async throws {
        try await TemporaryDatabase.with { database in
            let store = try SQLiteChatStore(path: database.path)
            try await store.saveRoom(Conformance.room("lobby"))
            try await database.rawConnection().write { db in
                try db.execute(sql: "UPDATE chat_rooms SET settings = '{\"name\": 3}' WHERE name = 'lobby'")
            }
            await #expect {
                try await store.rooms()
            } throws: { error in
                if case StreamingError.protocol(let message) = error { message.contains("room \"lobby\"") } else { false }
            }
            try await store.shutdown()
        }
    }

    @Test(
        "history and the last seq walk the primary key, without sorting",
        arguments: [
            ("history", "SELECT seq, sender, author, content, sent_at FROM chat_messages WHERE room = 'r3' AND seq < 50 ORDER BY seq DESC LIMIT 20"),
            ("last seq", "SELECT seq FROM chat_messages WHERE room = 'r3' ORDER BY seq DESC LIMIT 1"),
            ("delete room", "DELETE FROM chat_messages WHERE room = 'r3'"),
        ]
    )
    func usesThePrimaryKey(_ name: String, _ sql: String) async throws {
        try await TemporaryDatabase.with { database in
            let store = try SQLiteChatStore(path: database.path)
            // Enough rooms and rows that a scan would not be free.
            for room in 0..<5 {
                try await store.saveRoom(Conformance.room("r\(room)"))
                try await store.append(Conformance.messages("r\(room)", 1...100))
            }
            try await store.shutdown()
            let plan = try await database.rawConnection().read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN \(sql)").map { row -> String in row["detail"] }
            }
            #expect(plan.contains { $0.contains("INDEX sqlite_autoindex_chat_messages_1") }, "\(name): \(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(name) sorts: \(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN") }, "\(name) scans: \(plan)")
        }
    }
}
