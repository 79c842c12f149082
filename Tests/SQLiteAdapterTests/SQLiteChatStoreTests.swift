import Foundation
import StreamingApplication
import StreamingDomain
import StreamingSQLite
import StreamingTestSupport
import Testing

@Suite("SQLiteChatStore")
struct SQLiteChatStoreTests {
    typealias Conformance = ChatStoreConformance

    @Test(arguments: ChatStoreConformance.cases)
    func conformance(_ check: ChatStoreConformance.Case) async throws {
        try await TemporaryDatabase.with { database in
            let store = try SQLiteChatStore(path: database.path)
            do {
                try await check.run(on: store)
            } catch {
                try? await store.shutdown()
                throw error
            }
            try await store.shutdown()
        }
    }

    @Test("rooms and every message survive dropping the store and opening the file again")
    func restart() async throws {
        try await TemporaryDatabase.with { database in
            let lobby = Conformance.room("lobby", messageHistory: 10)
            let annex = Conformance.room("annex")
            do {
                let store = try SQLiteChatStore(path: database.path)
                try await store.saveRoom(lobby)
                try await store.saveRoom(annex)
                try await store.saveRoom(Conformance.room("gone"))
                for batch in stride(from: 1, through: 41, by: 10) {
                    try await store.append(Conformance.messages("lobby", batch...(batch + 9)))
                }
                try await store.append(Conformance.messages("annex", 1...3) + Conformance.messages("gone", 1...2))
                try await store.deleteRoom(named: "gone")
                // Dropped without shutdown, as a crashed process would leave it.
            }
            let reopened = try SQLiteChatStore(path: database.path)
            #expect(try await reopened.rooms() == [lobby, annex])
            #expect(try await reopened.lastSeq(inRoom: "lobby") == 50)
            // Every message, not only the room's messageHistory of 10.
            #expect(try await reopened.history(ofRoom: "lobby", beforeSeq: nil, limit: 100) == Conformance.messages("lobby", 1...50))
            #expect(try await reopened.history(ofRoom: "annex", beforeSeq: nil, limit: 100) == Conformance.messages("annex", 1...3))
            #expect(try await reopened.history(ofRoom: "gone", beforeSeq: nil, limit: 100).isEmpty)
            // The seq check holds across the restart, and appending goes on from there.
            await #expect(throws: StreamingError.invalidInput("message seq 50 in room \"lobby\" is not above the last seq 50")) {
                try await reopened.append([Conformance.message("lobby", 50)])
            }
            try await reopened.append([Conformance.message("lobby", 51)])
            try await reopened.shutdown()

            let again = try SQLiteChatStore(path: database.path)
            #expect(try await again.lastSeq(inRoom: "lobby") == 51)
            try await again.shutdown()
        }
    }

    @Test("paging back through 1,000 messages, far past the room's messageHistory, finds every one once, in order")
    func pagingBackThroughAThousand() async throws {
        try await TemporaryDatabase.with { database in
            let store = try SQLiteChatStore(path: database.path)
            try await store.saveRoom(Conformance.room("lobby", messageHistory: 50))
            for batch in stride(from: 1, through: 901, by: 100) {
                try await store.append(Conformance.messages("lobby", batch...(batch + 99)))
            }
            var collected: [RoomMessage] = []
            var before: Int? = nil
            var pages = 0
            // Bounded, so a store that ignores beforeSeq fails instead of paging forever.
            while pages <= 1_000 {
                let page = try await store.history(ofRoom: "lobby", beforeSeq: before, limit: 64)
                guard let first = page.first else { break }
                #expect(page.map(\.seq) == Array(first.seq..<(first.seq + page.count)), "page \(pages) not ascending")
                collected.insert(contentsOf: page, at: 0)
                before = first.seq
                pages += 1
            }
            #expect(pages == 16)
            #expect(collected == Conformance.messages("lobby", 1...1_000))
            try await store.shutdown()
        }
    }

    @Test("eight tasks appending to their own rooms at once: every room gets all its messages, in order")
    func concurrentAppends() async throws {
        try await TemporaryDatabase.with { database in
            let store = try SQLiteChatStore(path: database.path)
            let rooms = (0..<8).map { "room\($0)" }
            for name in rooms { try await store.saveRoom(Conformance.room(name)) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, name) in rooms.enumerated() {
                    group.addTask {
                        // Half the tasks append one message a transaction, half in batches of 5,
                        // each reading its own last seq as ChatService would.
                        var seq = 0
                        while seq < 100 {
                            let count = index.isMultiple(of: 2) ? 1 : 5
                            let last = try await store.lastSeq(inRoom: name)
                            try await store.append(Conformance.messages(name, (last + 1)...(last + count)))
                            seq = last + count
                        }
                    }
                }
                try await group.waitForAll()
            }
            for name in rooms {
                #expect(try await store.lastSeq(inRoom: name) == 100)
                #expect(try await store.history(ofRoom: name, beforeSeq: nil, limit: 200) == Conformance.messages(name, 1...100))
            }
            try await store.shutdown()
        }
    }

    @Test("a closed store fails with a connection error")
    func closed() async throws {
        try await TemporaryDatabase.with { database in
            let store = try SQLiteChatStore(path: database.path)
            try await store.shutdown()
            await #expect {
                try await store.saveRoom(Conformance.room("lobby"))
            } throws: { error in
                if case StreamingError.connection = error { true } else { false }
            }
        }
    }

    @Test("a file that is not a database fails to open with a connection error")
    func notADatabase() async throws {
        try await TemporaryDatabase.with { database in
            try Data(repeating: 0x41, count: 8_192).write(to: URL(fileURLWithPath: database.path))
            #expect {
                _ = try SQLiteChatStore(path: database.path)
            } throws: { error in
                if case StreamingError.connection = error { true } else { false }
            }
        }
    }
}
