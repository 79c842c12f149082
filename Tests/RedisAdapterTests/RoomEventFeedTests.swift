import Logging
import StreamingApplication
import StreamingDomain
@testable import StreamingRedis
import Testing

/// The chat ledger's bounded event buffer: a node that falls behind loses events, never
/// memory without bound, and the rooms that lost one are told to resynchronize.
@Suite("RoomEventFeed")
struct RoomEventFeedTests {
    static func frame(_ room: String, _ ev: Int) -> RoomEvent {
        RoomEvent(room: room, ev: ev, kind: .frame(OutboundFrame(bytes: Array("{}".utf8)), except: nil))
    }

    static func describe(_ event: RoomEvent) -> String {
        if case .missed = event.kind { return "\(event.room) missed" }
        return "\(event.room) \(event.ev)"
    }

    @Test("past its limit it drops events, then tells each room that lost one to resynchronize")
    func boundAndMissed() async {
        let feed = RoomEventFeed(limit: 3, logger: Logger(label: "room-event-feed-tests"))
        for ev in 1...3 { feed.yield(Self.frame("a", ev)) }
        feed.yield(Self.frame("a", 4))  // dropped: three wait
        feed.yield(Self.frame("b", 1))  // dropped
        feed.flushMissed()  // still no room
        var iterator = feed.events.makeAsyncIterator()
        var seen: [String] = []
        for _ in 1...3 { if let event = await iterator.next() { seen.append(Self.describe(event)) } }
        #expect(seen == ["a 1", "a 2", "a 3"])
        // Room again: the next event (or the subscriber's next poll) lets the `.missed` in first.
        feed.yield(Self.frame("a", 5))
        seen = []
        for _ in 1...3 { if let event = await iterator.next() { seen.append(Self.describe(event)) } }
        #expect(seen.sorted() == ["a 5", "a missed", "b missed"])
        #expect(seen.last == "a 5")
        feed.finish()
        #expect(await iterator.next() == nil)
    }

    @Test("a poll hands on the `.missed` when no later event comes")
    func missedOnPoll() async {
        let feed = RoomEventFeed(limit: 1, logger: Logger(label: "room-event-feed-tests"))
        feed.yield(Self.frame("a", 1))
        feed.yield(Self.frame("a", 2))  // dropped: the room's last event
        var iterator = feed.events.makeAsyncIterator()
        #expect((await iterator.next()).map(Self.describe) == "a 1")
        feed.flushMissed()
        #expect((await iterator.next()).map(Self.describe) == "a missed")
        feed.finish()
    }
}
