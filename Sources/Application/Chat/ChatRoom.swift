import DequeModule
import StreamingDomain
import Synchronization

/// One room as the chat service holds it: its settings, members, recent messages, who is
/// typing and the answer its agent is streaming.
///
/// Each room has its own lock, so rooms do not wait on each other. Everything a member sees
/// of a room is sent under that lock, which gives every member the room's frames in one
/// order: messages by `seq`, and a joiner's `room_joined` (with the partial answer so far)
/// strictly before the chunks that follow it.
final class ChatRoom: Sendable {
    let name: String
    let state: Mutex<State>

    init(room: Room, lastSeq: Int, recent: [RoomMessage], cacheLimit: Int) {
        self.name = room.name
        self.state = Mutex(State(room: room, lastSeq: lastSeq, recent: Deque(recent.suffix(cacheLimit)), cacheLimit: cacheLimit))
    }

    /// A connection in the room.
    struct Member {
        let connection: Connection
        /// The display name others see.
        let user: String
        /// Who the member is for allow-lists and rate limits: the authenticated identity, or
        /// the display name when authentication is off.
        let key: String
        /// Join order, so member lists read in the order people came.
        let order: Int
    }

    /// The answer the room's agent is streaming now.
    struct LiveAnswer {
        let stream: String
        /// The agent speaking now (it changes when the agent hands off mid-answer).
        var agent: String
        /// `response_chunk`s sent so far; the last one's `seq`.
        var chunks = 0
        /// The answer text so far.
        var content = ""
        /// Set by `stop_stream` (and shutdown): the answer's task stops the run.
        let stop: OneWaySignal
    }

    struct State {
        var room: Room
        var members: [ConnectionID: Member] = [:]
        var joins = 0
        /// The `seq` of the room's last message; the next gets one more.
        var lastSeq: Int
        /// The most recent messages, for joiners, `get_history`'s first pages and the agent's context.
        var recent: Deque<RoomMessage>
        let cacheLimit: Int
        /// Whether a task of the service is answering this room's messages (or about to).
        var answering = false
        /// The `seq`s of user messages waiting for the agent, oldest first.
        var waiting: Deque<Int> = []
        var live: LiveAnswer?
        /// Members typing now, with the time (on the service's stopwatch) they stop showing.
        var typing: [ConnectionID: Duration] = [:]
        /// Set by `delete_room`: the room no longer takes anything.
        var isDeleted = false

        mutating func remember(_ message: RoomMessage) {
            guard cacheLimit > 0 else { return }
            recent.append(message)
            if recent.count > cacheLimit { recent.removeFirst() }
        }

        /// The members, in the order they joined.
        var memberList: [Member] {
            members.values.sorted { $0.order < $1.order }
        }

        /// The members typing now, in the order they joined.
        var typists: [Member] {
            typing.keys.compactMap { members[$0] }.sorted { $0.order < $1.order }
        }

        /// Hands `frame` to every member but `excluded`.
        func broadcast(_ frame: OutboundFrame, through hub: ConnectionHub, except excluded: ConnectionID? = nil) {
            for (id, member) in members where id != excluded {
                hub.send(frame, to: member.connection)
            }
        }
    }
}
