import Foundation
import StreamingApplication
import StreamingDomain
import StreamingRedis
import StreamingRedisTestSupport
import StreamingTestSupport
import Testing

@Suite("RedisChatStore", .enabled(RedisTestSupport.requirement) { RedisTestSupport.isAvailable })
struct RedisChatStoreTests {
    typealias Conformance = ChatStoreConformance

    @Test(arguments: ChatStoreConformance.cases)
    func conformance(_ check: ChatStoreConformance.Case) async throws {
        try await ChatNamespace.with { namespace in
            let store = try await namespace.store()
            try await check.run(on: store)
            // Chat keys never expire: history must outlive every node.
            for key in try await namespace.keys() {
                #expect(try await SharedRedisServer.raw("PTTL", key).integer == -1, "\(key) has an expiry")
            }
        }
    }

    @Test("Redis keeps the last messageHistory messages of a room; lastSeq still counts the dropped ones")
    func trimsToMessageHistory() async throws {
        try await ChatNamespace.with { namespace in
            let store = try await namespace.store()
            try await store.saveRoom(Conformance.room("lobby", messageHistory: 3))
            try await store.saveRoom(Conformance.room("annex", messageHistory: 3))
            try await store.append(Conformance.messages("lobby", 1...5))
            #expect(try await seqs(store, "lobby") == [3, 4, 5])
            // Trimmed in Redis itself, exactly (not MAXLEN ~), not only when reading.
            #expect(try await SharedRedisServer.raw("XLEN", store.keys.log("lobby")).integer == 3)
            try await store.append([Conformance.message("lobby", 6)])
            #expect(try await seqs(store, "lobby") == [4, 5, 6])
            #expect(try await store.lastSeq(inRoom: "lobby") == 6)
            // A dropped seq is not handed out again.
            await #expect(throws: StreamingError.invalidInput("message seq 2 in room \"lobby\" is not above the last seq 6")) {
                try await store.append([Conformance.message("lobby", 2)])
            }
            // A batch longer than the limit keeps its tail; the other room is untouched.
            try await store.append(Conformance.messages("annex", 1...10))
            #expect(try await seqs(store, "annex") == [8, 9, 10])
            #expect(try await store.history(ofRoom: "lobby", beforeSeq: 5, limit: 10).map(\.seq) == [4])
        }
    }

    @Test("saving a room with a smaller messageHistory trims at once; 0 keeps none but the seq goes on")
    func shrinkingTheLimit() async throws {
        try await ChatNamespace.with { namespace in
            let store = try await namespace.store()
            try await store.saveRoom(Conformance.room("lobby", messageHistory: 10))
            try await store.append(Conformance.messages("lobby", 1...8))
            try await store.saveRoom(Conformance.room("lobby", messageHistory: 2))
            #expect(try await seqs(store, "lobby") == [7, 8])
            try await store.saveRoom(Conformance.room("lobby", messageHistory: 0))
            #expect(try await seqs(store, "lobby") == [])
            try await store.append(Conformance.messages("lobby", 9...10))
            #expect(try await seqs(store, "lobby") == [])
            #expect(try await store.lastSeq(inRoom: "lobby") == 10)
            await #expect(throws: StreamingError.self) { try await store.append([Conformance.message("lobby", 10)]) }
            // Growing the limit again keeps what comes next.
            try await store.saveRoom(Conformance.room("lobby", messageHistory: 5))
            try await store.append([Conformance.message("lobby", 11)])
            #expect(try await seqs(store, "lobby") == [11])
        }
    }

    @Test("rooms named with braces, colons, spaces, emoji or 128 characters keep their own settings and messages")
    func namesWithSpecialCharacters() async throws {
        try await ChatNamespace.with { namespace in
            let store = try await namespace.store()
            // Names chosen to collide if the key layout were ambiguous: "a" and "a}:log",
            // a name that is a whole room key of another, braces that end the hash tag early.
            let names = [
                "a", "a}:log", "a}:meta}", "{a}", "}", "{", "room with spaces", "caf\u{E9} \u{1F680}\u{1F469}\u{200D}\u{1F4BB}",
                "x:chat:room:{a}:meta", "\(namespace.name):chat:rooms", String(repeating: "\u{1F600}", count: 128),
                String(repeating: "n", count: 128),
            ]
            for (index, name) in names.enumerated() {
                try await store.saveRoom(Conformance.room(name, messageHistory: 100 + index))
            }
            for (index, name) in names.enumerated() {
                try await store.append(Conformance.messages(name, 1...(index + 1)))
            }
            #expect(try await store.rooms() == names.enumerated().map { Conformance.room($1, messageHistory: 100 + $0) })
            for (index, name) in names.enumerated() {
                #expect(try await store.lastSeq(inRoom: name) == index + 1, "\(name)")
                #expect(try await store.history(ofRoom: name, beforeSeq: nil, limit: 100) == Conformance.messages(name, 1...(index + 1)))
            }
            try await store.deleteRoom(named: "a")
            #expect(try await store.rooms().map(\.name) == Array(names.dropFirst()))
            #expect(try await store.history(ofRoom: "a}:log", beforeSeq: nil, limit: 100).count == 2)
            #expect(try await store.lastSeq(inRoom: "a}:meta}") == 3)
        }
    }

    @Test("any Unicode content up to the chat's longest message, and exact dates, come back as they were sent")
    func contentAndDatesRoundTrip() async throws {
        try await ChatNamespace.with { namespace in
            let store = try await namespace.store()
            try await store.saveRoom(Conformance.room("lobby"))
            let longest = String(repeating: "\u{1F469}\u{200D}\u{1F469}\u{200D}\u{1F467} \u{0}\"\\\n\u{7F}\u{FFFD}", count: 2_000 / 8)
            let now = Date()
            let sent = [
                RoomMessage(room: "lobby", seq: 1, sender: .user, author: "\u{1F600} ada", content: longest, sentAt: now),
                RoomMessage(room: "lobby", seq: 2, sender: .agent, author: "concierge", content: "", sentAt: now.addingTimeInterval(1e-6)),
                RoomMessage(room: "lobby", seq: 3, sender: .system, author: "system", content: "\u{10FFFF}", sentAt: Date(timeIntervalSince1970: -12.375)),
            ]
            try await store.append(sent)
            #expect(try await store.history(ofRoom: "lobby", beforeSeq: nil, limit: 10) == sent)
            var room = Conformance.room("dated")
            room.createdAt = now
            try await store.saveRoom(room)
            #expect(try await store.rooms().last == room)
        }
    }

    @Test("two stores on two connections appending to one room: each seq is stored once, in order")
    func concurrentAppendsFromTwoStores() async throws {
        try await ChatNamespace.with { namespace in
            let first = try await namespace.store()
            let second = try await namespace.store()
            try await first.saveRoom(Conformance.room("lobby", messageHistory: 1_000))

            // Both try every seq at once: exactly one wins each, the other is refused.
            for seq in 1...50 {
                async let a = outcome { try await first.append([message(seq, by: "first", count: seq)]) }
                async let b = outcome { try await second.append([message(seq, by: "second", count: seq)]) }
                let (wonA, wonB) = try await (a, b)
                #expect(wonA != wonB, "seq \(seq): first \(wonA), second \(wonB)")
            }

            // Each writer takes the next seq it sees and retries when the other took it first.
            @Sendable func write(_ store: RedisChatStore, _ author: String) async throws -> Int {
                var refusals = 0
                for count in 1...100 {
                    while true {
                        let next = try await store.lastSeq(inRoom: "lobby") + 1
                        if try await outcome({ try await store.append([message(next, by: author, count: count)]) }) { break }
                        refusals += 1
                    }
                }
                return refusals
            }
            async let refusedA = write(first, "first")
            async let refusedB = write(second, "second")
            _ = try await (refusedA, refusedB)

            let history = try await first.history(ofRoom: "lobby", beforeSeq: nil, limit: 1_000)
            #expect(history.map(\.seq) == Array(1...250))
            #expect(try await second.lastSeq(inRoom: "lobby") == 250)
            // Each writer's messages are all there, in the order it wrote them.
            for author in ["first", "second"] {
                let counts = history.dropFirst(50).filter { $0.author == author }.map(\.content)
                #expect(counts == (1...100).map { "\(author) #\($0)" })
            }
        }
    }

    @Test("a message written by a script with another seq in its JSON reads with its entry's seq and its key's room")
    func theEntryIDAndKeyWin() async throws {
        try await ChatNamespace.with { namespace in
            let store = try await namespace.store()
            try await store.saveRoom(Conformance.room("lobby"))
            let json = try ChatRecordCoding.encode(Conformance.message("elsewhere", 0))
            var add = RedisCommand("XADD", store.keys.log("lobby"), "0-7", ChatKeys.messageField)
            add.append(json)
            _ = try await namespace.send(add).checked("XADD")
            let page = try await store.history(ofRoom: "lobby", beforeSeq: nil, limit: 10)
            #expect(page.map(\.seq) == [7])
            #expect(page.map(\.room) == ["lobby"])
        }
    }

    @Test("a seq above 2^53 − 1 is refused; 2^53 − 1 itself is stored and read exactly")
    func largestSeq() async throws {
        try await ChatNamespace.with { namespace in
            let store = try await namespace.store()
            try await store.saveRoom(Conformance.room("lobby"))
            await #expect(throws: StreamingError.self) {
                try await store.append([Conformance.message("lobby", ChatKeys.maxSeq + 1)])
            }
            try await store.append([Conformance.message("lobby", ChatKeys.maxSeq - 1), Conformance.message("lobby", ChatKeys.maxSeq)])
            #expect(try await store.lastSeq(inRoom: "lobby") == ChatKeys.maxSeq)
            #expect(try await seqs(store, "lobby") == [ChatKeys.maxSeq - 1, ChatKeys.maxSeq])
            #expect(try await store.history(ofRoom: "lobby", beforeSeq: ChatKeys.maxSeq, limit: 5).map(\.seq) == [ChatKeys.maxSeq - 1])
        }
    }

    @Test("stored values that are not a room or a message fail the read with a corrupt-record error")
    func corruptRecords() async throws {
        try await ChatNamespace.with { namespace in
            let store = try await namespace.store()
            try await store.saveRoom(Conformance.room("lobby"))
            _ = try await namespace.send(RedisCommand("SET", store.keys.meta("lobby"), "not json"))
            await #expect(throws: StreamingError.self) { _ = try await store.rooms() }
            do {
                _ = try await store.rooms()
            } catch StreamingError.protocol(let reason) {
                #expect(reason.hasPrefix("corrupt chat record: room \"lobby\""))
            }
            try await store.saveRoom(Conformance.room("annex"))
            _ = try await namespace.send(RedisCommand("XADD", store.keys.log("annex"), "0-1", "x", "{}"))
            await #expect(throws: StreamingError.protocol("corrupt chat record: entry 0-1 of room \"annex\" is not one message field")) {
                _ = try await store.history(ofRoom: "annex", beforeSeq: nil, limit: 10)
            }
            _ = try await namespace.send(RedisCommand("SET", store.keys.seq("annex"), "many"))
            await #expect(throws: StreamingError.self) { _ = try await store.lastSeq(inRoom: "annex") }
        }
    }

    @Test("the health check counts the rooms in one round trip, and fails with a connection error when Redis is away")
    func healthCheck() async throws {
        try await ChatNamespace.with { namespace in
            let store = try await namespace.store()
            #expect(try await store.healthCheck() == "redis, 0 rooms")
            try await store.saveRoom(Conformance.room("lobby"))
            #expect(try await store.healthCheck() == "redis, 1 room")
        }
        let refusing = try Loopback.RefusingPort()
        let away = try RedisChatStore(configuration: RedisConfiguration(port: refusing.port, connectTimeout: .seconds(1)))
        await #expect(throws: StreamingError.self) { _ = try await away.healthCheck() }
        do {
            _ = try await away.healthCheck()
        } catch {
            guard case StreamingError.connection = error else {
                Issue.record("\(error) is not a connection error")
                return
            }
        }
        await away.close()
    }

    @Test("a namespace with braces is refused")
    func namespaceWithBraces() throws {
        #expect(throws: StreamingError.self) { try ChatKeys(namespace: "a{b}") }
        #expect(throws: StreamingError.self) { try ChatKeys(namespace: "") }
        #expect(try ChatKeys(namespace: "raaf").meta("lobby") == "raaf:chat:room:{lobby}:meta")
    }

    private func seqs(_ store: RedisChatStore, _ room: String) async throws -> [Int] {
        try await store.history(ofRoom: room, beforeSeq: nil, limit: 1_000).map(\.seq)
    }

    private func message(_ seq: Int, by author: String, count: Int) -> RoomMessage {
        RoomMessage(room: "lobby", seq: seq, sender: .user, author: author, content: "\(author) #\(count)", sentAt: Conformance.start)
    }

    /// Whether `append` stored its batch (`true`) or was refused with `invalidInput` (`false`).
    private func outcome(_ append: () async throws -> Void) async throws -> Bool {
        do {
            try await append()
            return true
        } catch StreamingError.invalidInput {
            return false
        }
    }
}

/// A fresh chat namespace on the shared server, its stores closed and its keys removed after.
struct ChatNamespace {
    let name: String
    let url: String
    private let stores = Locked<[RedisChatStore]>([])

    static func with(_ body: (ChatNamespace) async throws -> Void) async throws {
        let namespace = ChatNamespace(name: RedisTestSupport.freshNamespace("chat"), url: try await RedisTestSupport.sharedURL())
        do {
            try await body(namespace)
        } catch {
            await namespace.clean()
            throw error
        }
        await namespace.clean()
    }

    /// A store of its own (its own connections) in this namespace.
    func store() async throws -> RedisChatStore {
        let store = try RedisChatStore(configuration: RedisConfiguration(url: url), namespace: name, connections: 2)
        stores.withLock { $0.append(store) }
        return store
    }

    func keys() async throws -> [String] {
        try await SharedRedisServer.raw("KEYS", "\(name):*").array?.compactMap(\.string) ?? []
    }

    func send(_ command: RedisCommand) async throws -> RedisReply {
        let connection = RedisConnection(configuration: try RedisConfiguration(url: url))
        do {
            let reply = try await connection.send(command)
            await connection.close()
            return reply
        } catch {
            await connection.close()
            throw error
        }
    }

    private func clean() async {
        for store in stores.value { await store.close() }
        for key in (try? await keys()) ?? [] { _ = try? await SharedRedisServer.raw("UNLINK", key) }
    }
}
