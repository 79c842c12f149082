@testable import StreamingApplication
import StreamingDomain
import StreamingTestSupport
import Testing

/// What a node of a chat cluster holds of a room (``LocalRooms``): frames reach a joiner once,
/// after its snapshot, in the room's order; a gap in the numbering asks for a resync.
@Suite("Chat cluster: a node's rooms")
struct LocalRoomsTests {
    let hub = ConnectionHub(streams: AgentStreamService(runner: AgentRunner(provider: GatedProvider()), agents: { _ in nil }))

    func frame(_ ev: Int, except: String? = nil) -> RoomEvent {
        RoomEvent(room: "r", ev: ev, kind: .frame(OutboundFrame(text: #"{"type":"x","n":\#(ev)}"#), except: except))
    }

    func numbers(_ sink: RecordingSink) -> [Int] { sink.messages.compactMap { $0["n"]?.intValue } }

    @Test("a joiner's frames wait for its snapshot; then only those numbered after it are sent, once, in order")
    func joinerBuffersUntilSnapshot() throws {
        let sink = RecordingSink()
        let connection = try #require(hub.connect(sink))
        var rooms = LocalRooms()
        let first = rooms.retain("r")
        #expect(first, "the first reason to listen")
        rooms.rooms["r"]!.members[connection.id] = LocalRooms.Member(
            connection: connection, user: "ann", key: "ann", phase: .joining(buffer: []))
        for ev in 4...7 { _ = rooms.deliver(frame(ev), through: hub) }
        #expect(numbers(sink).isEmpty, "nothing before room_joined")

        // The snapshot covers up to ev 5: 6 and 7 follow it, 4 and 5 are in it.
        guard case .joining(let buffer) = rooms.rooms["r"]!.members[connection.id]!.phase else {
            Issue.record("not joining")
            return
        }
        var member = rooms.rooms["r"]!.members[connection.id]!
        member.phase = LocalRooms.Phase.joined(since: 5)
        rooms.rooms["r"]!.members[connection.id] = member
        for event in buffer { LocalRooms.send(event, to: member, since: 5, through: hub) }
        _ = rooms.deliver(frame(8), through: hub)
        _ = rooms.deliver(frame(9, except: connection.id.rawValue), through: hub)
        #expect(numbers(sink) == [6, 7, 8], "after the snapshot, once each; 9 was meant for the others")
    }

    @Test("a jump in the room's numbering, or a lost connection to the bus, asks joined members to resync")
    func gapsAskForResync() throws {
        let sink = RecordingSink()
        let connection = try #require(hub.connect(sink))
        var rooms = LocalRooms()
        _ = rooms.retain("r")
        rooms.rooms["r"]!.members[connection.id] = LocalRooms.Member(
            connection: connection, user: "ann", key: "ann", phase: .joined(since: 0))
        let resyncs = [frame(1), frame(2), frame(5), frame(2), RoomEvent(room: "r", ev: 0, kind: .missed)].map { event in
            rooms.deliver(event, through: hub).resync.map(\.connection.id)
        }
        // 3 and 4 were missed; then the numbering started again (Redis lost its data); then
        // the connection to the bus came back.
        #expect(resyncs == [[], [], [connection.id], [connection.id], [connection.id]])
    }

    @Test("a stop request reaches the answer this node runs, and no other")
    func stopRequests() {
        var rooms = LocalRooms()
        _ = rooms.retain("r")
        let stop = OneWaySignal()
        rooms.rooms["r"]!.live = LocalRooms.Answer(stream: "c-1", stop: stop)
        let other = rooms.deliver(RoomEvent(room: "r", ev: 1, kind: .stop(stream: "c-0")), through: hub).stop
        let mine = rooms.deliver(RoomEvent(room: "r", ev: 2, kind: .stop(stream: "c-1")), through: hub).stop
        #expect(other == nil)
        #expect(mine === stop)
    }

    @Test("a room is listened to while it has a joiner, a member or an answer here")
    func listening() throws {
        var rooms = LocalRooms()
        let first = rooms.retain("r")
        let second = rooms.retain("r")
        #expect(first && !second)
        rooms.rooms["r"]!.answering = true
        let released = [rooms.release("r"), rooms.release("r")]
        #expect(released == [false, false], "the answer loop still runs")
        rooms.rooms["r"]!.answering = false
        _ = rooms.retain("r")
        let last = rooms.release("r")
        #expect(last, "nothing is left: stop listening")
        #expect(rooms.rooms["r"] == nil)
    }
}

@Suite("Chat cluster: seq templates")
struct SeqTemplateTests {
    @Test("a frame is split where its seq goes; a marker inside a string is not a seq")
    func splitting() throws {
        let encoded = Array(#"{"type":"chat_message","room":"r","seq":-7919313131,"content":"\"seq\":-7919313131"}"#.utf8)
        let template = try #require(SeqTemplate(splitting: encoded))
        #expect(String(decoding: template.filled(42), as: UTF8.self) == #"{"type":"chat_message","room":"r","seq":42,"content":"\"seq\":-7919313131"}"#)
        #expect(SeqTemplate(splitting: Array(#"{"seq":1}"#.utf8)) == nil)
        #expect(SeqTemplate(splitting: Array(#"{"order":-7919313131}"#.utf8), field: "order")?.filled(3) == Array(#"{"order":3}"#.utf8))
    }
}
