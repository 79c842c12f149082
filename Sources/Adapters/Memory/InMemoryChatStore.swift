import DequeModule
import FoundationEssentials
import StreamingApplication
import StreamingDomain
import Synchronization

/// A ``ChatStore`` in process memory: for tests and single-process servers. Rooms and
/// messages do not survive the process; use `SQLiteChatStore` when they must.
///
/// Each room keeps only its ``Room/messageHistory`` most recent messages, so memory stays
/// bounded however long a room lives: an append drops the oldest messages beyond it, and
/// saving a room with a smaller limit drops them at once. Paging back therefore ends at
/// the oldest kept message. ``lastSeq(inRoom:)`` still counts the dropped messages, so a
/// `seq` is never handed out twice.
///
/// Every operation takes one lock for its whole work, so an ``append(_:)`` is all or
/// nothing: it checks the whole batch before storing any of it.
public final class InMemoryChatStore: ChatStore {
    private struct RoomState {
        var room: Room
        /// The kept messages, in ascending `seq` order.
        var messages: Deque<RoomMessage> = []
        /// The highest `seq` ever appended, kept apart from `messages` because trimming
        /// may have dropped it (a room whose `messageHistory` is 0 keeps none).
        var lastSeq = 0

        /// Drops the oldest messages beyond the room's limit.
        mutating func trim() {
            let excess = messages.count - max(0, room.messageHistory)
            if excess > 0 { messages.removeFirst(excess) }
        }
    }

    private struct State {
        var rooms: [String: RoomState] = [:]
        /// Room names in creation order; replacing a room's settings keeps its place.
        var order: [String] = []
    }

    private let state = Mutex(State())

    /// An empty store.
    public init() {}

    public func saveRoom(_ room: Room) async throws {
        state.withLock { state in
            if state.rooms[room.name] == nil {
                state.order.append(room.name)
                state.rooms[room.name] = RoomState(room: room)
            } else {
                state.rooms[room.name]!.room = room
                state.rooms[room.name]!.trim()
            }
        }
    }

    public func deleteRoom(named name: String) async throws {
        state.withLock { state in
            guard state.rooms.removeValue(forKey: name) != nil else { return }
            // Linear, but rooms are few and deleted rarely; the dictionary serves lookups.
            state.order.removeAll { $0 == name }
        }
    }

    public func rooms() async throws -> [Room] {
        state.withLock { state in state.order.map { state.rooms[$0]!.room } }
    }

    /// Stores the messages in order, each room trimmed to its ``Room/messageHistory``.
    ///
    /// - Throws: `StreamingError.invalidInput`, before storing any of the batch, when a
    ///   message's room is not stored or its `seq` is not above the room's last one
    ///   (counting the messages earlier in the batch).
    public func append(_ messages: [RoomMessage]) async throws {
        try state.withLock { state throws(StreamingError) in
            // Check the whole batch first, so a refused batch leaves nothing behind.
            var last: [String: Int] = [:]
            for message in messages {
                guard let room = state.rooms[message.room] else {
                    throw .invalidInput("no room named \"\(message.room)\" is stored")
                }
                let previous = last[message.room] ?? room.lastSeq
                guard message.seq > previous else {
                    throw .invalidInput(
                        "message seq \(message.seq) in room \"\(message.room)\" is not above the last seq \(previous)"
                    )
                }
                last[message.room] = message.seq
            }
            for message in messages {
                state.rooms[message.room]!.messages.append(message)
                state.rooms[message.room]!.lastSeq = message.seq
            }
            for name in last.keys { state.rooms[name]!.trim() }
        }
    }

    public func lastSeq(inRoom room: String) async throws -> Int {
        state.withLock { state in state.rooms[room]?.lastSeq ?? 0 }
    }

    /// The page of kept messages just before `beforeSeq`; it ends early (or is empty) where
    /// trimming dropped older messages.
    public func history(ofRoom room: String, beforeSeq: Int?, limit: Int) async throws -> [RoomMessage] {
        guard limit > 0 else { return [] }
        return state.withLock { state in
            guard let messages = state.rooms[room]?.messages else { return [] }
            let end = beforeSeq.map { Self.firstIndex(in: messages, notBelow: $0) } ?? messages.endIndex
            return Array(messages[max(messages.startIndex, end - limit)..<end])
        }
    }

    /// The index of the first message whose `seq` is at least `seq` (binary search: the
    /// messages are in ascending `seq` order), or the end index when there is none.
    private static func firstIndex(in messages: Deque<RoomMessage>, notBelow seq: Int) -> Int {
        var low = messages.startIndex
        var high = messages.endIndex
        while low < high {
            let middle = low + (high - low) / 2
            if messages[middle].seq < seq { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
