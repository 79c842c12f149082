import Logging
import StreamingApplication
import Synchronization

/// The room events a ``RedisChatLedger`` hands to its node, in a bounded buffer.
///
/// The Pub/Sub thread reads as fast as Redis sends, so a node that handles events slower than
/// they come would otherwise buffer without bound. Past `limit` events waiting, an event is
/// dropped and its room remembered; a ``RoomEvent/Kind/missed`` for that room follows as soon
/// as the buffer has room again (tried before each later event and on ``flushMissed()``), so
/// the room's members here get its state again. The ledger's `ev` gap check alone would not
/// do: it sees a gap only when the room's next event arrives, which may never come (the
/// last frame of an answer), and a member still joining is not resynchronized by it.
final class RoomEventFeed: Sendable {
    let events: AsyncStream<RoomEvent>
    private let continuation: AsyncStream<RoomEvent>.Continuation
    /// Rooms that lost an event and whose `.missed` is not in the buffer yet.
    private let lost = Mutex<Set<String>>([])
    private let logger: Logger

    /// A feed that holds at most `limit` events.
    init(limit: Int = 65_536, logger: Logger) {
        (events, continuation) = AsyncStream<RoomEvent>.makeStream(bufferingPolicy: .bufferingOldest(max(1, limit)))
        self.logger = logger
    }

    /// Hands `event` on, or remembers its room when the buffer is full.
    func yield(_ event: RoomEvent) {
        lost.withLock { lost in
            flush(&lost)
            guard case .dropped = continuation.yield(event) else { return }
            if lost.insert(event.room).inserted {
                logger.warning(
                    "room events dropped: this node is behind; its members there get the room's state again",
                    metadata: ["room": "\(event.room)"])
            }
        }
    }

    /// Hands on the `.missed` of every room that lost events, as far as the buffer has room.
    func flushMissed() {
        lost.withLock { lost in flush(&lost) }
    }

    /// Ends ``events``.
    func finish() { continuation.finish() }

    private func flush(_ lost: inout Set<String>) {
        while let room = lost.first {
            guard case .enqueued = continuation.yield(RoomEvent(room: room, ev: 0, kind: .missed)) else { return }
            lost.remove(room)
        }
    }
}
