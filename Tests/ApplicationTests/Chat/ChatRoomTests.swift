import StreamingApplication
import StreamingDomain
import StreamingTestSupport
import Testing

@Suite("Chat rooms: create, join, leave", .timeLimit(.minutes(1)))
struct ChatRoomTests {
    @Test("create_room answers room_created with the settings and stores the room")
    func createRoom() async throws {
        try await withChat { chat in
            let alice = try chat.client()
            let created = try alice.create(
                "general",
                ["max_participants": 10, "message_history": 20, "agent": "assistant", "user": "alice"])
            #expect(created["room"] == "general")
            #expect(created["max_participants"] == 10)
            #expect(created["message_history"] == 20)
            #expect(created["restricted"] == false)
            #expect(created["agent"] == "assistant")
            #expect(created["specialists"] == ["assistant"])
            #expect(created["allowed"] == nil)
            let room = try #require(chat.chat.rooms.first)
            #expect(room.name == "general" && room.createdBy == "alice" && room.agent == "assistant")
            try await waitUntil("the room to be stored") { chat.store.room("general") != nil }

            // Defaults from the options; no agent unless asked (or a default agent is set).
            let plain = try alice.create("plain")
            #expect(plain["max_participants"] == 50)
            #expect(plain["message_history"] == 500)
            #expect(plain["agent"] == .null)
        }
    }

    @Test("join and leave: room_joined to the joiner, user_joined and user_left to the others, room_left to the leaver")
    func joinAndLeave() async throws {
        try await withChat { chat in
            let alice = try chat.client()
            let bob = try chat.client()
            try alice.create("general", ["agent": "assistant"])
            let aliceJoined = try alice.join("general", as: "alice")
            #expect(aliceJoined["user"] == "alice")
            #expect(aliceJoined["client_id"] == .string(alice.id.rawValue))
            #expect(aliceJoined["members"] == [["client_id": .string(alice.id.rawValue), "user": "alice"]])
            #expect(aliceJoined["last_seq"] == 0)
            #expect(aliceJoined["history"] == [])
            #expect(aliceJoined["has_more"] == false)
            #expect(aliceJoined["streaming"] == .null)
            #expect(aliceJoined["agent"] == "assistant")
            #expect(aliceJoined["typing"] == [])

            let bobJoined = try bob.join("general", as: "bob")
            #expect(bobJoined["members"]?.arrayValue?.compactMap { $0["user"]?.stringValue } == ["alice", "bob"])
            #expect(alice.frames("user_joined") == [
                ["type": "user_joined", "room": "general", "client_id": .string(bob.id.rawValue), "user": "bob"]
            ])
            #expect(bob.frames("user_joined").isEmpty)
            #expect(chat.chat.stats.rooms.first?.participants == 2)

            bob.send("leave_room", ["room": "general"])
            #expect(bob.sink.last == ["type": "room_left", "room": "general"])
            #expect(alice.frames("user_left") == [
                ["type": "user_left", "room": "general", "client_id": .string(bob.id.rawValue), "user": "bob"]
            ])
            #expect(chat.chat.stats.rooms.first?.participants == 1)

            // A member no longer: messages are forbidden; leaving again is harmless.
            bob.say("still here?", in: "general")
            #expect(bob.lastError?["code"] == "forbidden")
            #expect(bob.lastError?["request_type"] == "chat_message")
            bob.send("leave_room", ["room": "general"])
            #expect(bob.sink.last == ["type": "room_left", "room": "general"])
            #expect(alice.frames("user_left").count == 1)
        }
    }

    @Test("a disconnected client leaves every room it was in")
    func disconnectLeaves() async throws {
        try await withChat { chat in
            let alice = try chat.client()
            let bob = try chat.client()
            try alice.create("one")
            try alice.create("two")
            try alice.join("one", as: "alice")
            try alice.join("two", as: "alice")
            try bob.join("one", as: "bob")
            try bob.join("two", as: "bob")
            #expect(chat.chat.stats.activeSessions == 4)

            chat.hub.disconnect(bob.connection)
            #expect(Set(alice.frames("user_left").compactMap { $0["room"]?.stringValue }) == ["one", "two"])
            #expect(alice.frames("user_left").allSatisfy { $0["client_id"] == .string(bob.id.rawValue) })
            #expect(chat.chat.stats.activeSessions == 2)
            #expect(chat.chat.stats.rooms.map(\.participants) == [1, 1])
        }
    }

    @Test("a full room answers room_full; a place frees when someone leaves")
    func roomFull() async throws {
        try await withChat { chat in
            let clients = try (0..<3).map { _ in try chat.client() }
            try clients[0].create("small", ["max_participants": 2])
            try clients[0].join("small", as: "a")
            try clients[1].join("small", as: "b")
            clients[2].send("join_room", ["room": "small", "user": "c"])
            #expect(clients[2].lastError?["code"] == "room_full")
            #expect(clients[2].lastError?["request_type"] == "join_room")
            #expect(clients[0].frames("user_joined").count == 1)

            clients[1].send("leave_room", ["room": "small"])
            try clients[2].join("small", as: "c")
        }
    }

    @Test("a restricted room admits its allow-list and its creator, and refuses others with forbidden")
    func restricted() async throws {
        try await withChat { chat in
            let alice = try chat.client()
            let created = try alice.create("secret", ["restricted": true, "allowed": ["bob"], "user": "alice"])
            #expect(created["restricted"] == true)
            #expect(created["allowed"] == ["bob"])
            let carol = try chat.client()
            carol.send("join_room", ["room": "secret", "user": "carol"])
            #expect(carol.lastError?["code"] == "forbidden")
            #expect(carol.lastError?["request_type"] == "join_room")
            try chat.client().join("secret", as: "bob")
            try alice.join("secret", as: "alice")
            #expect(chat.chat.stats.rooms.first?.participants == 2)
        }
    }

    @Test("with authentication the identity decides who may join; user is only the display name")
    func authenticatedIdentity() async throws {
        try await withChat(authenticate: { $0 == "t" ? "x" : nil }) { chat in
            let alice = try chat.client(identity: "alice")
            let created = try alice.create("secret", ["restricted": true, "allowed": ["bob"], "user": "ignored"])
            #expect(created["room"] == "secret")
            #expect(chat.chat.rooms.first?.createdBy == "alice")

            // Carol calls herself bob: the allow-list reads identities.
            let carol = try chat.client(identity: "carol")
            carol.send("join_room", ["room": "secret", "user": "bob"])
            #expect(carol.lastError?["code"] == "forbidden")

            let bob = try chat.client(identity: "bob")
            let joined = try bob.join("secret", as: "Bobby")
            #expect(joined["user"] == "Bobby")
            let aliceJoined = try alice.join("secret")
            #expect(aliceJoined["user"] == "alice")
            #expect(bob.frames("user_joined").first?["user"] == "alice")
        }
    }

    @Test("max_rooms is enforced with room_limit; an existing name is room_exists; bad requests are refused")
    func limitsAndRefusals() async throws {
        try await withChat(options: ChatOptions(maxRooms: 2)) { chat in
            let alice = try chat.client()
            try alice.create("one")
            alice.send("create_room", ["room": "one"])
            #expect(alice.lastError?["code"] == "room_exists")
            #expect(alice.lastError?["request_type"] == "create_room")
            try alice.create("two")
            alice.send("create_room", ["room": "three"])
            #expect(alice.lastError?["code"] == "room_limit")
            #expect(chat.chat.rooms.map(\.name) == ["one", "two"])

            alice.send("join_room", ["room": "nowhere", "user": "alice"])
            #expect(alice.lastError?["code"] == "not_found")
            alice.send("join_room", ["room": "one"])
            #expect(alice.lastError?["code"] == "invalid_message")
            alice.send("join_room", ["room": "one", "user": .string(String(repeating: "x", count: 65))])
            #expect(alice.lastError?["code"] == "invalid_message")
            alice.send("create_room", ["room": "   "])
            #expect(alice.lastError?["code"] == "invalid_message")
            alice.send("create_room", ["room": "x", "max_participants": 0])
            #expect(alice.lastError?["code"] == "invalid_message")
            alice.send("create_room", ["room": "x", "restricted": "yes"])
            #expect(alice.lastError?["code"] == "invalid_message")
        }
        try await withChat { chat in
            let alice = try chat.client()
            alice.send("create_room", ["room": "x", "agent": "nobody"])
            #expect(alice.lastError?["code"] == "not_found")
            #expect(chat.chat.rooms.isEmpty)
        }
    }

    @Test("list_rooms lists every room with its participants, in creation order")
    func listRooms() async throws {
        try await withChat { chat in
            let alice = try chat.client()
            try alice.create("general", ["agent": "assistant"])
            try alice.create("secret", ["restricted": true, "max_participants": 5])
            try alice.join("general", as: "alice")
            alice.send("list_rooms", [:])
            #expect(alice.sink.last == [
                "type": "rooms",
                "rooms": [
                    ["room": "general", "participants": 1, "max_participants": 50, "restricted": false, "agent": "assistant", "last_seq": 0],
                    ["room": "secret", "participants": 0, "max_participants": 5, "restricted": true, "agent": nil, "last_seq": 0],
                ],
            ])
        }
    }

    @Test("delete_room: only the creator; members get room_deleted; the store forgets the room")
    func deleteRoom() async throws {
        try await withChat(options: ChatOptions(maxRooms: 1)) { chat in
            let alice = try chat.client()
            let bob = try chat.client()
            try alice.create("general", ["user": "alice"])
            try alice.join("general", as: "alice")
            try bob.join("general", as: "bob")
            bob.say("hello", in: "general")

            bob.send("delete_room", ["room": "general"])
            #expect(bob.lastError?["code"] == "forbidden")

            alice.send("delete_room", ["room": "general"])
            #expect(alice.sink.last == ["type": "room_deleted", "room": "general"])
            #expect(bob.sink.last == ["type": "room_deleted", "room": "general"])
            #expect(chat.chat.rooms.isEmpty)
            #expect(chat.chat.stats.activeSessions == 0)
            try await waitUntil("the store to delete the room") { chat.store.deleted == ["general"] }
            #expect(chat.store.room("general") == nil)

            // The place is free again (max_rooms 1), and the name starts over.
            try alice.create("general", ["user": "alice"])
            let joined = try alice.join("general", as: "alice")
            #expect(joined["last_seq"] == 0)
        }
    }
}
