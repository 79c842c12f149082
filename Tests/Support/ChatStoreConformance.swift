import Foundation
import StreamingApplication
import StreamingDomain

/// The behaviour every ``ChatStore`` backend must have, written once and run against the
/// memory, SQLite and Redis stores. Each case gets a fresh, empty store.
///
/// Rooms here keep up to 1,000 messages, more than any case appends, so a store that trims
/// to ``Room/messageHistory`` behaves like one that keeps everything. Dates are whole and
/// half seconds, which every backend stores exactly.
///
/// In a test target:
/// ```swift
/// @Test(arguments: ChatStoreConformance.cases)
/// func conformance(_ check: ChatStoreConformance.Case) async throws {
///     try await check.run(on: makeEmptyStore())
/// }
/// ```
public enum ChatStoreConformance {
    public struct Case: Sendable, CustomStringConvertible {
        public let name: String
        let body: @Sendable (any ChatStore) async throws -> Void

        public var description: String { name }

        /// Runs the case on `store`.
        public func run(on store: any ChatStore) async throws {
            try await body(store)
        }
    }

    /// What a failed check throws.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    static func check(_ condition: Bool, _ message: @autoclosure () -> String, line: Int = #line) throws {
        if !condition { throw Failure(description: "line \(line): \(message())") }
    }

    /// Runs `body` and checks that it throws `StreamingError.invalidInput`.
    static func expectInvalidInput(
        _ what: String, line: Int = #line, _ body: () async throws -> Void
    ) async throws {
        do {
            try await body()
        } catch StreamingError.invalidInput {
            return
        } catch {
            throw Failure(description: "line \(line): \(what) threw \(error), not invalidInput")
        }
        throw Failure(description: "line \(line): \(what) was accepted")
    }

    /// The time the cases' rooms and messages are dated from.
    public static let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// A room with every setting away from its default, so a store that drops one is caught.
    public static func room(_ name: String, messageHistory: Int = 1_000, createdAt: Date = start) -> Room {
        Room(
            name: name,
            maxParticipants: 12,
            messageHistory: messageHistory,
            restricted: true,
            allowed: ["ada", "grace", "linus"],
            agent: "concierge",
            specialists: ["billing", "support"],
            createdBy: "ada",
            createdAt: createdAt
        )
    }

    /// A message whose content names its room and seq.
    public static func message(_ room: String, _ seq: Int, sender: RoomMessage.Sender = .user) -> RoomMessage {
        RoomMessage(
            room: room, seq: seq, sender: sender, author: sender == .user ? "ada" : "concierge",
            content: "\(room) #\(seq)", sentAt: start.addingTimeInterval(Double(seq))
        )
    }

    public static func messages(_ room: String, _ seqs: ClosedRange<Int>) -> [RoomMessage] {
        seqs.map { message(room, $0) }
    }

    static func seqs(_ messages: [RoomMessage]) -> [Int] { messages.map(\.seq) }

    public static let cases: [Case] = [
        Case(name: "rooms are listed in creation order, with every setting kept") { store in
            try check(try await store.rooms().isEmpty, "a new store has rooms")
            let saved = [room("lobby"), room("annex", createdAt: start.addingTimeInterval(5)), room("attic")]
            for room in saved { try await store.saveRoom(room) }
            let listed = try await store.rooms()
            try check(listed == saved, "listed \(listed)")
        },
        Case(name: "saving a room again replaces its settings, keeping its place and messages") { store in
            try await store.saveRoom(room("lobby"))
            try await store.saveRoom(room("annex"))
            try await store.append(messages("lobby", 1...3))
            var changed = room("lobby", messageHistory: 500)
            changed.maxParticipants = 3
            changed.agent = nil
            changed.restricted = false
            changed.allowed = []
            changed.specialists = ["sales"]
            try await store.saveRoom(changed)
            let listed = try await store.rooms()
            try check(listed == [changed, room("annex")], "listed \(listed)")
            let history = try await store.history(ofRoom: "lobby", beforeSeq: nil, limit: 10)
            try check(history == messages("lobby", 1...3), "history \(history)")
            try check(try await store.lastSeq(inRoom: "lobby") == 3, "last seq changed")
        },
        Case(name: "appended messages are stored as given and lastSeq follows them") { store in
            try await store.saveRoom(room("lobby"))
            try check(try await store.lastSeq(inRoom: "lobby") == 0, "an empty room has a last seq")
            try check(try await store.lastSeq(inRoom: "nowhere") == 0, "an unknown room has a last seq")
            var batch = messages("lobby", 1...2)
            batch.append(RoomMessage(room: "lobby", seq: 3, sender: .agent, author: "concierge",
                                     content: "héllo 👋 \"quoted\"\nsecond line", sentAt: start.addingTimeInterval(0.5)))
            batch.append(RoomMessage(room: "lobby", seq: 4, sender: .system, author: "system", content: "", sentAt: start))
            try await store.append(batch)
            try check(try await store.lastSeq(inRoom: "lobby") == 4, "last seq after a batch")
            try await store.append([])
            try await store.append([message("lobby", 7)])
            try check(try await store.lastSeq(inRoom: "lobby") == 7, "last seq after a gap")
            let history = try await store.history(ofRoom: "lobby", beforeSeq: nil, limit: 10)
            try check(history == batch + [message("lobby", 7)], "history \(history)")
        },
        Case(name: "history pages back from beforeSeq, the most recent first taken, in ascending order") { store in
            try await store.saveRoom(room("lobby"))
            try await store.append(messages("lobby", 1...10))
            let page = { (before: Int?, limit: Int) in
                seqs(try await store.history(ofRoom: "lobby", beforeSeq: before, limit: limit))
            }
            try check(try await page(nil, 3) == [8, 9, 10], "latest page")
            try check(try await page(8, 3) == [5, 6, 7], "page before 8")
            try check(try await page(3, 5) == [1, 2], "short first page")
            try check(try await page(1, 5) == [], "page before the first message")
            try check(try await page(100, 2) == [9, 10], "beforeSeq past the end")
            try check(try await page(nil, 100) == Array(1...10), "a limit above the count")
            try check(try await page(nil, 0) == [], "limit 0")
            let whole = try await store.history(ofRoom: "lobby", beforeSeq: 6, limit: 2)
            try check(whole == messages("lobby", 4...5), "page contents \(whole)")
            try check(try await store.history(ofRoom: "nowhere", beforeSeq: nil, limit: 10).isEmpty, "unknown room")
        },
        Case(name: "append refuses a seq not above the room's last one, storing none of the batch") { store in
            try await store.saveRoom(room("lobby"))
            try await expectInvalidInput("seq 0 in an empty room") { try await store.append([message("lobby", 0)]) }
            try await expectInvalidInput("a negative seq") { try await store.append([message("lobby", -1)]) }
            try await store.append(messages("lobby", 1...2))
            try await expectInvalidInput("the last seq again") { try await store.append([message("lobby", 2)]) }
            try await expectInvalidInput("a lower seq") { try await store.append([message("lobby", 1)]) }
            try await expectInvalidInput("a batch out of order") {
                try await store.append([message("lobby", 3), message("lobby", 5), message("lobby", 4)])
            }
            try await expectInvalidInput("a batch repeating a seq") {
                try await store.append([message("lobby", 3), message("lobby", 3)])
            }
            try check(try await store.lastSeq(inRoom: "lobby") == 2, "a refused batch was partly stored")
            try check(seqs(try await store.history(ofRoom: "lobby", beforeSeq: nil, limit: 10)) == [1, 2], "history changed")
            try await store.append([message("lobby", 3)])
            try check(try await store.lastSeq(inRoom: "lobby") == 3, "the store refuses after a refusal")
        },
        Case(name: "append refuses a message of an unknown room, storing none of the batch") { store in
            try await store.saveRoom(room("lobby"))
            try await expectInvalidInput("an unknown room") { try await store.append([message("nowhere", 1)]) }
            try await expectInvalidInput("a batch ending in an unknown room") {
                try await store.append([message("lobby", 1), message("nowhere", 1)])
            }
            try check(try await store.lastSeq(inRoom: "lobby") == 0, "a refused batch was partly stored")
            try check(try await store.history(ofRoom: "nowhere", beforeSeq: nil, limit: 10).isEmpty, "unknown room has messages")
            try check(try await store.rooms().map(\.name) == ["lobby"], "append created a room")
        },
        Case(name: "deleting a room removes it and its messages; a new room of that name starts empty") { store in
            try await store.saveRoom(room("lobby"))
            try await store.saveRoom(room("annex"))
            try await store.append(messages("lobby", 1...5) + messages("annex", 1...2))
            try await store.deleteRoom(named: "lobby")
            try await store.deleteRoom(named: "nowhere")
            try check(try await store.rooms() == [room("annex")], "rooms after delete")
            try check(try await store.history(ofRoom: "lobby", beforeSeq: nil, limit: 10).isEmpty, "messages outlived the room")
            try check(try await store.lastSeq(inRoom: "lobby") == 0, "last seq outlived the room")
            try await expectInvalidInput("a message to a deleted room") { try await store.append([message("lobby", 6)]) }
            try check(seqs(try await store.history(ofRoom: "annex", beforeSeq: nil, limit: 10)) == [1, 2], "other room changed")
            try await store.saveRoom(room("lobby"))
            try check(try await store.rooms().map(\.name) == ["annex", "lobby"], "a re-created room is not last")
            try await store.append([message("lobby", 1)])
            try check(seqs(try await store.history(ofRoom: "lobby", beforeSeq: nil, limit: 10)) == [1], "old messages came back")
        },
        Case(name: "the messages of two rooms are kept apart, even in one batch") { store in
            try await store.saveRoom(room("lobby"))
            try await store.saveRoom(room("annex"))
            try await store.append([message("lobby", 1), message("annex", 1), message("annex", 2), message("lobby", 2),
                                    message("lobby", 3)])
            try await store.append(messages("annex", 3...6))
            try check(try await store.lastSeq(inRoom: "lobby") == 3, "lobby last seq")
            try check(try await store.lastSeq(inRoom: "annex") == 6, "annex last seq")
            let lobby = try await store.history(ofRoom: "lobby", beforeSeq: nil, limit: 10)
            let annex = try await store.history(ofRoom: "annex", beforeSeq: 6, limit: 10)
            try check(lobby == messages("lobby", 1...3), "lobby \(lobby)")
            try check(annex == messages("annex", 1...5), "annex \(annex)")
        },
    ]
}
