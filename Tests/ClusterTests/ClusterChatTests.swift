import Foundation
import Logging
import StreamingApplication
import StreamingDomain
import StreamingRedis
import StreamingRedisTestSupport
import StreamingTestSupport
import InMemoryTracing
import Testing

/// Chat rooms across the nodes of a cluster: chat services in this process, each with its own
/// hub and Redis connections, on one real redis-server; the agent answers on a gated model
/// (the test releases tokens one by one).
@Suite("Chat rooms across nodes", .enabled(if: SharedRedisServer.isAvailable, "needs redis-server on PATH or REDIS_URL"))
struct ClusterChatTests {
    @Test("a message from node 3 reaches members on nodes 1 and 2, and so does the agent's answer, token by token")
    func messageAndAnswerAcrossNodes() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: 6))
        try await withChatCluster(nodes: 3, model: model) { cluster in
            let ann = try cluster.client(on: 0)
            try await ann.create("lobby", ["agent": "assistant"])
            try await ann.join("lobby", as: "ann")
            let bob = try cluster.client(on: 1)
            let joined = try await bob.join("lobby", as: "bob")
            #expect(joined["members"]?.items?.compactMap { $0["user"]?.stringValue } == ["ann", "bob"])
            try await waitUntil("ann hears bob join") { ann.frames("user_joined", in: "lobby").count == 1 }
            let cleo = try cluster.client(on: 2)
            try await cleo.join("lobby", as: "cleo")

            cleo.say("hello from node 3", in: "lobby")
            for client in [ann, bob, cleo] {
                try await waitUntil("the message on node \(client.node + 1)") { client.messages(in: "lobby").first?.seq == 1 }
                #expect(client.messages(in: "lobby").first?.content == "hello from node 3")
            }
            try await waitUntil("agent_typing_start everywhere") { [ann, bob, cleo].allSatisfy { !$0.frames("agent_typing_start").isEmpty } }
            let stream = try #require(ann.frames("agent_typing_start").first?["stream"]?.stringValue)
            // Each token reaches every node before the next is released.
            for count in 1...6 {
                model.release()
                for client in [ann, bob, cleo] {
                    try await waitUntil("token \(count) on node \(client.node + 1)") { client.chunkText(of: stream) == model.text(upTo: count) }
                }
            }
            for client in [ann, bob, cleo] {
                try await waitUntil("the answer posted on node \(client.node + 1)") { client.messages(in: "lobby").count == 2 }
                #expect(client.messages(in: "lobby").map(\.seq) == [1, 2])
                #expect(client.messages(in: "lobby").last?.content == model.answer)
                #expect(client.frames("agent_typing_stop").count == 1)
                #expect(client.frames("response_chunk").compactMap { $0["seq"]?.intValue } == Array(1...6))
                // Joins reached the others exactly once.
                #expect(client.sink.errorCodes.isEmpty, "errors on node \(client.node + 1): \(client.sink.errorCodes)")
            }
            #expect(ann.frames("user_joined").compactMap { $0["user"]?.stringValue } == ["bob", "cleo"])
            #expect(bob.frames("user_joined").compactMap { $0["user"]?.stringValue } == ["cleo"])
            #expect(cleo.frames("user_joined").isEmpty)
        }
    }

    @Test("messages written on three nodes at once arrive in one order for every member, numbered without gaps")
    func concurrentMessagesOneOrder() async throws {
        try await withChatCluster(nodes: 3, options: ChatOptions(messagesPerMinute: 1_000)) { cluster in
            let clients = try (0..<3).map { try cluster.client(on: $0) }
            try await clients[0].create("busy")
            for (index, client) in clients.enumerated() { try await client.join("busy", as: "user\(index)") }
            for round in 0..<20 {
                for (index, client) in clients.enumerated() { client.say("\(index)-\(round)", in: "busy") }
            }
            for client in clients {
                try await waitUntil("60 messages on node \(client.node + 1)") { client.messages(in: "busy").count == 60 }
            }
            let reference = clients[0].messages(in: "busy")
            #expect(reference.map(\.seq) == Array(1...60))
            for client in clients.dropFirst() {
                #expect(client.messages(in: "busy").map(\.content) == reference.map(\.content), "same order on node \(client.node + 1)")
            }
            // Each sender's own messages keep the order it sent them in.
            for index in 0..<3 {
                let mine = reference.map(\.content).filter { $0.hasPrefix("\(index)-") }
                #expect(mine == (0..<20).map { "\(index)-\($0)" })
            }
        }
    }

    @Test("the last seat taken from two nodes at once: one joins, the other gets room_full")
    func lastSeat() async throws {
        try await withChatCluster(nodes: 3) { cluster in
            let owner = try cluster.client(on: 0)
            try await owner.create("small", ["max_participants": 2])
            try await owner.join("small", as: "owner")
            for attempt in 0..<5 {
                let first = try cluster.client(on: 1)
                let second = try cluster.client(on: 2)
                first.send("join_room", ["room": "small", "user": .string("a\(attempt)")])
                second.send("join_room", ["room": "small", "user": .string("b\(attempt)")])
                try await waitUntil("both answered") {
                    [first, second].allSatisfy { !$0.frames("room_joined").isEmpty || !$0.sink.errorCodes.isEmpty }
                }
                let joined = [first, second].filter { !$0.frames("room_joined").isEmpty }
                let refused = [first, second].filter { $0.sink.errorCodes == ["room_full"] }
                #expect(joined.count == 1 && refused.count == 1, "attempt \(attempt): one seat, one winner")
                // Free the seat for the next attempt.
                joined.first?.send("leave_room", ["room": "small"])
                try await waitUntil("the seat is free") { owner.frames("user_left", in: "small").count == attempt + 1 }
            }
        }
    }

    @Test("restricted rooms and the room limit hold across nodes")
    func restrictionsAndLimits() async throws {
        try await withChatCluster(nodes: 2, options: ChatOptions(maxRooms: 2)) { cluster in
            let ann = try cluster.client(on: 0)
            ann.send("create_room", ["room": "private", "restricted": true, "allowed": ["bob"], "user": "ann"])
            try await waitUntil("created") { !ann.frames("room_created").isEmpty }
            let eve = try cluster.client(on: 1)
            eve.send("join_room", ["room": "private", "user": "eve"])
            try await waitUntil("eve refused") { eve.sink.errorCodes == ["forbidden"] }
            let bob = try cluster.client(on: 1)
            try await bob.join("private", as: "bob")

            try await ann.create("second")
            let other = try cluster.client(on: 1)
            other.send("create_room", ["room": "third"])
            try await waitUntil("the limit") { other.sink.errorCodes == ["room_limit"] }
            other.send("create_room", ["room": "second"])
            try await waitUntil("the name is taken") { other.sink.errorCodes == ["room_limit", "room_exists"] }
            other.send("list_rooms")
            try await waitUntil("rooms listed") { !other.frames("rooms").isEmpty }
            let listed = other.frames("rooms").last?["rooms"]?.items?.compactMap { $0["room"]?.stringValue }
            #expect(listed == ["private", "second"])
            let participants = other.frames("rooms").last?["rooms"]?.items?.first?["participants"]?.intValue
            #expect(participants == 1, "bob, on node 2")
        }
    }

    @Test("joining mid-answer on another node shows the answer so far, then every later chunk once")
    func joinMidAnswer() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: 8))
        try await withChatCluster(nodes: 2, model: model) { cluster in
            let ann = try cluster.client(on: 0)
            try await ann.create("live", ["agent": "assistant"])
            try await ann.join("live", as: "ann")
            ann.say("tell me", in: "live")
            try await waitUntil("the answer starts") { !ann.frames("agent_typing_start").isEmpty }
            let stream = try #require(ann.frames("agent_typing_start").first?["stream"]?.stringValue)
            for _ in 0..<3 { model.release() }
            try await waitUntil("3 chunks at ann") { ann.chunkText(of: stream) == model.text(upTo: 3) }

            let late = try cluster.client(on: 1)
            let joined = try await late.join("live", as: "late")
            #expect(joined["streaming"]?["stream"]?.stringValue == stream)
            #expect(joined["streaming"]?["seq"]?.intValue == 3)
            #expect(joined["streaming"]?["content"]?.stringValue == model.text(upTo: 3))
            model.releaseAll()
            try await waitUntil("the answer posted on node 2") { late.messages(in: "live").contains { $0.sender == "agent" } }
            #expect(late.frames("response_chunk").compactMap { $0["seq"]?.intValue } == Array(4...8))
            #expect(late.messages(in: "live").last?.content == model.answer)
        }
    }

    @Test("stop_stream and handoff_request work from another node; later answers come from the new agent")
    func stopAndHandoffFromAnotherNode() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: 20))
        try await withChatCluster(nodes: 2, model: model) { cluster in
            let ann = try cluster.client(on: 0)
            try await ann.create("desk", ["agent": "assistant"])
            try await ann.join("desk", as: "ann")
            ann.send("add_agent", ["room": "desk", "agent": "support"])
            try await waitUntil("support added") { !ann.frames("agent_added").isEmpty }
            let bob = try cluster.client(on: 1)
            try await bob.join("desk", as: "bob")

            ann.say("start", in: "desk")
            model.release()
            try await waitUntil("a chunk at bob") { !bob.frames("response_chunk").isEmpty }
            bob.send("stop_stream", ["room": "desk"])
            try await waitUntil("stopped everywhere") { [ann, bob].allSatisfy { $0.frames("agent_typing_stop").first?["stopped"]?.boolValue == true } }
            #expect(bob.sink.errorCodes.isEmpty)

            bob.send("handoff_request", ["room": "desk", "agent": "support", "reason": "billing"])
            try await waitUntil("the handoff everywhere") { [ann, bob].allSatisfy { $0.frames("agent_handoff").count == 1 } }
            #expect(ann.frames("agent_handoff").first?["to"]?.stringValue == "support")
            #expect(ann.frames("agent_handoff").first?["requested_by"]?.stringValue == "bob")
            ann.say("again", in: "desk")
            model.releaseAll()
            try await waitUntil("the next answer starts") { bob.frames("agent_typing_start").count == 2 }
            #expect(bob.frames("agent_typing_start").last?["agent"]?.stringValue == "support")
        }
    }

    @Test("chat_stats counts the whole cluster's rooms and members, and names what is per node")
    func statsAcrossNodes() async throws {
        try await withChatCluster(nodes: 2) { cluster in
            let ann = try cluster.client(on: 0)
            try await ann.create("one")
            try await ann.join("one", as: "ann")
            let bob = try cluster.client(on: 1)
            try await bob.join("one", as: "bob")
            bob.say("hi", in: "one")
            try await waitUntil("hi at ann") { ann.messages(in: "one").count == 1 }
            ann.send("chat_stats")
            try await waitUntil("stats") { !ann.frames("chat_stats").isEmpty }
            let stats = try #require(ann.frames("chat_stats").first)
            #expect(stats["node"]?.stringValue == "node-1")
            #expect(stats["per_node"]?.items?.compactMap(\.stringValue) == ["connected_clients", "pending_writes", "failed_writes"])
            #expect(stats["active_sessions"]?.intValue == 2, "members of both nodes")
            #expect(stats["total_messages"]?.intValue == 1)
            #expect(stats["rooms"]?.items?.first?["participants"]?.intValue == 2)
            #expect(stats["connected_clients"]?.intValue == 1, "this node's own connections")
            let current = await cluster.chats[1].currentStats()
            #expect(current.activeSessions == 2 && current.node == "node-2")
        }
    }

    @Test("requests sent right after join_room wait for the join; get_history pages back through the Redis store")
    func requestsRightAfterJoin() async throws {
        try await withChatCluster(nodes: 2) { cluster in
            let ann = try cluster.client(on: 0)
            try await ann.create("quick")
            try await ann.join("quick", as: "ann")
            for n in 1...5 { ann.say("m\(n)", in: "quick") }
            try await waitUntil("five messages") { ann.messages(in: "quick").count == 5 }
            let bob = try cluster.client(on: 1)
            bob.send("join_room", ["room": "quick", "user": "bob"])
            bob.send("get_history", ["room": "quick", "before_seq": 5, "limit": 2])
            bob.send("typing_start", ["room": "quick"])
            bob.say("hello", in: "quick")
            try await waitUntil("bob's history page") { !bob.frames("history").isEmpty }
            #expect(bob.sink.errorCodes.isEmpty, "\(bob.sink.errorCodes)")
            #expect(bob.frames("history").first?["messages"]?.items?.compactMap { $0["seq"]?.intValue } == [3, 4])
            try await waitUntil("hello at ann") { ann.messages(in: "quick").last?.content == "hello" }
            let stranger = try cluster.client(on: 1)
            stranger.send("get_history", ["room": "quick"])
            try await waitUntil("refused") { stranger.sink.errorCodes == ["forbidden"] }
        }
    }

    @Test("an answer in a room of the cluster is a chat_answer span parenting its run, on the node that runs it")
    func answerSpan() async throws {
        let tracer = InMemoryTracer()
        try await withChatCluster(nodes: 2, tracer: tracer) { cluster in
            let ann = try cluster.client(on: 1)
            try await ann.create("traced", ["agent": "assistant"])
            try await ann.join("traced", as: "ann")
            ann.say("hello", in: "traced")
            try await waitUntil("the answer") { ann.messages(in: "traced").contains { $0.sender == "agent" } }
            try await waitUntil("the spans end") { tracer.finishedSpans.contains { $0.operationName == "chat_answer assistant" } }
            let spans = tracer.finishedSpans
            let answer = try #require(spans.first { $0.operationName == "chat_answer assistant" })
            let run = try #require(spans.first { $0.parentSpanID == answer.spanID })
            #expect(run.traceID == answer.traceID)
            #expect(spans.filter { $0.operationName == "chat_answer assistant" }.count == 1, "one answer, one span")
        }
    }

    @Test("typing indicators reach the other nodes and expire there")
    func typingAcrossNodes() async throws {
        try await withChatCluster(nodes: 2, options: ChatOptions(typingTimeout: .milliseconds(300))) { cluster in
            let ann = try cluster.client(on: 0)
            try await ann.create("chat")
            try await ann.join("chat", as: "ann")
            let bob = try cluster.client(on: 1)
            try await bob.join("chat", as: "bob")
            ann.send("typing_start", ["room": "chat"])
            ann.send("typing_start", ["room": "chat"])
            try await waitUntil("bob sees ann typing") { bob.frames("typing_start").count == 1 }
            try await waitUntil("it expires at bob") { bob.frames("typing_stop").first?["expired"]?.boolValue == true }
            #expect(bob.frames("typing_start").count == 1, "a repeat is not sent again")
            #expect(ann.frames("typing_start").isEmpty, "the typist does not hear itself")
        }
    }

    @Test("a node that stops beating: its members leave on the others within 3 s, its answer ends within 4 s, the room answers on")
    func lostNode() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: 3))
        try await withChatCluster(nodes: 2, model: model) { cluster in
            let ann = try cluster.client(on: 0)
            try await ann.create("room", ["agent": "assistant"])
            try await ann.join("room", as: "ann")

            // A third node that admits a member and starts an answer, then dies (it never beats again).
            let ghost = try cluster.ledger(nodeID: "ghost")
            let member = LedgerMember(clientID: "ghost-client", user: "gus", key: "gus", node: "ghost")
            _ = try await ghost.join("room", member: member, notice: OutboundFrame(text: #"{"type":"user_joined","room":"room","client_id":"ghost-client","user":"gus"}"#), recent: 0)
            try await waitUntil("ann sees gus") { ann.frames("user_joined").count == 1 }
            let stream = "c-ghost"
            let message = RoomMessage(room: "room", seq: 0, sender: .user, author: "gus", content: "hi", sentAt: Date())
            let frame = SeqTemplate(
                splitting: Array(#"{"type":"chat_message","room":"room","seq":-7919313131,"sender":"user","user":"gus","content":"hi"}"#.utf8))!
            let template = MessageTemplate(message: message, frame: frame, clientID: member.clientID, keepAtLeast: 20)
            guard case .done(let receipt) = try await ghost.post(template, queueForAgent: true, maxWaiting: 16) else {
                Issue.record("not posted")
                return
            }
            #expect(receipt.startAnswering, "the ghost answers what it posted")
            _ = try await ghost.nextAnswer(in: "room", stream: stream, context: 10)
            _ = try await ghost.appendChunk("par", to: stream, in: "room", frame: SeqTemplate(splitting: Array(#"{"type":"response_chunk","room":"room","stream":"c-ghost","seq":-7919313131,"content":"par"}"#.utf8))!)
            try await waitUntil("ann sees the ghost's chunk") { ann.chunkText(of: stream) == "par" }
            let died = ContinuousClock.now
            await ghost.close()

            try await waitUntil(timeout: .seconds(6), "gus leaves at ann") { ann.frames("user_left").count == 1 }
            #expect(ContinuousClock.now - died < .seconds(3), "user_left within 3 s")
            try await waitUntil(timeout: .seconds(6), "the ghost's answer ends") { !ann.frames("agent_typing_stop").isEmpty }
            #expect(ContinuousClock.now - died < .seconds(4), "agent_typing_stop within 4 s")
            let stop = try #require(ann.frames("agent_typing_stop").first)
            #expect(stop["error"]?["code"]?.stringValue == "node_lost")
            try await waitUntil("what it said is kept") { ann.messages(in: "room").last?.content == "par" }
            let joined = try await (try cluster.client(on: 1)).join("room", as: "late")
            #expect(joined["members"]?.items?.compactMap { $0["user"]?.stringValue } == ["ann", "late"], "no ghost member")

            // The room keeps answering, on a live node.
            ann.say("still there?", in: "room")
            model.releaseAll()
            try await waitUntil("answered") { ann.messages(in: "room").last?.content == model.answer }
        }
    }
}

@Suite("Chat rooms across nodes, many members", .enabled(if: SharedRedisServer.isAvailable, "needs redis-server on PATH or REDIS_URL"))
struct ClusterChatCrowdTests {
    /// Whether `sink` received a frame containing `text` (a byte search: parsing every frame
    /// of every member on each poll would starve the nodes under test).
    static func received(_ sink: RecordingSink, _ text: String) -> Bool {
        let needle = Array(text.utf8)
        return sink.frames.contains { frame in
            frame.bytes.count >= needle.count
                && (0...(frame.bytes.count - needle.count)).contains { frame.bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
        }
    }

    @Test("150 members joining over 3 nodes at once all get room_joined, and every chunk of the answer once, in order")
    func crowd() async throws {
        let size = 150
        let model = GatedModel(tokens: GatedModel.tokens(count: 20))
        try await withChatCluster(nodes: 3, model: model, options: ChatOptions(defaultMaxParticipants: size, participantLimit: size)) { cluster in
            let owner = try cluster.client(on: 0)
            try await owner.create("crowd", ["agent": "assistant"])
            let members = try (0..<size).map { try cluster.client(on: $0 % 3) }
            for (index, member) in members.enumerated() {
                member.send("join_room", ["room": "crowd", "user": .string("m\(index)")])
            }
            try await waitUntil(timeout: .seconds(60), "every member joined") {
                members.allSatisfy { Self.received($0.sink, #""type":"room_joined""#) }
            }
            members[7].say("go", in: "crowd")
            model.releaseAll()
            try await waitUntil(timeout: .seconds(60), "every member has the answer") {
                members.allSatisfy { Self.received($0.sink, #""sender":"agent""#) }
            }
            for member in members {
                #expect(member.frames("response_chunk").compactMap { $0["seq"]?.intValue } == Array(1...20), "node \(member.node + 1)")
                #expect(member.sink.errorCodes.isEmpty)
                #expect(member.sink.closes.isEmpty, "no member was closed (a node taken for lost)")
            }
        }
    }
}
