import DequeModule
import StreamingDomain
import Synchronization

/// What a ``ChatService`` in a cluster keeps on its node: the ledger every node asks, its own
/// members of each room, the answers it runs, and the requests of each connection waiting
/// for the ledger.
final class ChatClusterState: Sendable {
    let ledger: any ChatLedger
    let local = Mutex(LocalRooms())
    let requests = Mutex(ConnectionRequests())
    /// The rooms of the cluster as the last ``ChatLedger/summaries()`` found them (for `stats`).
    let figures = Mutex<[RoomFigures]>([])
    /// Leaves the ledger could not record yet (it was unreachable), retried with each heartbeat.
    let pendingLeaves = Mutex<[PendingLeave]>([])
    let timing: ChatClusterTiming

    init(ledger: any ChatLedger, timing: ChatClusterTiming) {
        self.ledger = ledger
        self.timing = timing
    }
}

/// A member who left while the ledger could not be reached.
struct PendingLeave: Sendable {
    let room: String
    let clientID: String
    let user: String
}

/// How often a node beats and reaps, and when a silent node counts as lost.
public struct ChatClusterTiming: Sendable {
    /// Between two heartbeats of this node.
    public var heartbeat: Duration
    /// A node silent this long is lost: its members leave, its answers end.
    public var lostAfter: Duration
    /// Between two looks for lost nodes.
    public var reapEvery: Duration

    /// One beat a second; lost after 2 s of silence, looked for every 0.5 s: a dead node's
    /// members leave within 2.5 s plus one Redis round trip.
    public init(heartbeat: Duration = .seconds(1), lostAfter: Duration = .milliseconds(2_000), reapEvery: Duration = .milliseconds(500)) {
        self.heartbeat = heartbeat
        self.lostAfter = lostAfter
        self.reapEvery = reapEvery
    }
}

/// This node's members of the cluster's rooms, and the answers it runs.
///
/// A member joins in two steps: it is *joining* from before the ledger admits it (the node
/// listens to the room first) until the admission's snapshot arrives, and the room's frames
/// that arrive meanwhile wait in its buffer; then it is *joined* since the snapshot's `ev`,
/// and gets every later frame once, in the room's order. Frames are sent under the lock
/// that changes this state, so a joiner's `room_joined` always comes before what follows it.
struct LocalRooms {
    enum Phase {
        case joining(buffer: [RoomEvent])
        case joined(since: Int)
    }

    struct Member {
        let connection: Connection
        let user: String
        let key: String
        var phase: Phase
        /// When its typing indicator expires (on the service's stopwatch); `nil` when not typing.
        var typingUntil: Duration?

        /// Keeps `event` for later while joining; `false` when joined.
        mutating func keep(_ event: RoomEvent) -> Bool {
            guard case .joining(var buffer) = phase else { return false }
            // Drop the phase's reference first, so the buffer grows in place.
            phase = .joined(since: 0)
            buffer.append(event)
            phase = .joining(buffer: buffer)
            return true
        }
    }

    /// The answer this node runs in a room.
    struct Answer {
        let stream: String
        let stop: OneWaySignal
    }

    struct Room {
        var members: [ConnectionID: Member] = [:]
        /// Reasons to receive the room's frames: joining or joined members, and the answer loop.
        var listeners = 0
        /// Whether this node runs the room's answer loop.
        var answering = false
        /// The ledger made this node the room's answerer again while its loop was ending.
        var answerAgain = false
        var live: Answer?
        /// The last event number received: a jump (frames Pub/Sub lost while it reconnected)
        /// or a fall (the room's Redis state was lost) makes members resynchronize.
        var lastEv = 0
    }

    var rooms: [String: Room] = [:]
    /// The rooms each connection is in here, so a disconnect leaves them all.
    var memberships: [ConnectionID: Set<String>] = [:]

    /// Counts one more reason to listen to `room`; `true` when it is the first.
    mutating func retain(_ room: String) -> Bool {
        rooms[room, default: Room()].listeners += 1
        return rooms[room]!.listeners == 1
    }

    /// Counts one reason less; `true` when none is left (stop listening).
    mutating func release(_ room: String) -> Bool {
        guard var entry = rooms[room] else { return false }
        entry.listeners -= 1
        if entry.listeners <= 0, entry.members.isEmpty, !entry.answering {
            rooms[room] = nil
            return true
        }
        rooms[room] = entry
        return false
    }

    /// Removes every member of `room`, each giving back its listener; `true` when nothing
    /// listens to the room any more (the caller stops listening to its channel).
    mutating func removeAll(from room: String) -> Bool {
        guard let ids = rooms[room]?.members.keys else { return false }
        var unlisten = false
        for id in Array(ids) {
            _ = remove(id, from: room)
            unlisten = release(room) || unlisten
        }
        return unlisten
    }

    /// Removes a member; its entry when it was one.
    mutating func remove(_ id: ConnectionID, from room: String) -> Member? {
        guard let member = rooms[room]?.members.removeValue(forKey: id) else { return nil }
        memberships[id]?.remove(room)
        if memberships[id]?.isEmpty == true { memberships[id] = nil }
        return member
    }

    /// The joined member `id` of `room`, or `nil`.
    func joined(_ id: ConnectionID, in room: String) -> Member? {
        guard let member = rooms[room]?.members[id], case .joined = member.phase else { return nil }
        return member
    }

    /// What delivering an event asks of the service.
    struct Delivery {
        /// The stop signal of the answer this node runs, for a stop request.
        var stop: OneWaySignal?
        /// Frames were missed (or the room's numbering started again): joined members must
        /// get the room's state again.
        var resync: [Member] = []
    }

    /// Hands `event` to the room's members here: joined members get a frame numbered after
    /// their snapshot, joining ones keep it for later.
    mutating func deliver(_ event: RoomEvent, through hub: ConnectionHub) -> Delivery {
        // Read and changed in place, never through a copy of the room: a copy would make each
        // joining member's buffer copy itself on every frame, quadratic in a crowd's joins.
        guard let lastEv = rooms[event.room]?.lastEv else { return Delivery() }
        var delivery = Delivery()
        let missed = if case .missed = event.kind { true } else { false }
        if missed || (lastEv > 0 && event.ev != lastEv + 1) {
            delivery.resync = rooms[event.room]!.members.values.filter { if case .joined = $0.phase { true } else { false } }
        }
        rooms[event.room]!.lastEv = event.ev
        switch event.kind {
        case .missed:
            return delivery
        case .stop(let stream):
            let live = rooms[event.room]!.live
            delivery.stop = live?.stream == stream ? live?.stop : nil
            return delivery
        case .frame, .deleted:
            for id in Array(rooms[event.room]!.members.keys) where !rooms[event.room]!.members[id]!.keep(event) {
                let member = rooms[event.room]!.members[id]!
                if case .joined(let since) = member.phase { Self.send(event, to: member, since: since, through: hub) }
            }
            return delivery
        }
    }

    /// Sends `event` to `member` when it is numbered after `since` and not meant for others.
    static func send(_ event: RoomEvent, to member: Member, since: Int, through hub: ConnectionHub) {
        guard event.ev > since else { return }
        switch event.kind {
        case .frame(let frame, let except):
            if except != member.connection.id.rawValue { hub.send(frame, to: member.connection) }
        case .deleted(let frame):
            hub.send(frame, to: member.connection)
        case .stop, .missed:
            break
        }
    }
}

/// Each connection's chat requests that wait for the ledger, run one at a time in arrival
/// order (a `join_room` before the `chat_message` that follows it).
struct ConnectionRequests {
    var queues: [ConnectionID: Deque<@Sendable () async -> Void>] = [:]
    /// The most requests of one connection waiting at once; past it, `server_busy`.
    static let limit = 64

    /// Queues `request`; `true` when the connection had none running (start a worker).
    mutating func enqueue(_ request: @escaping @Sendable () async -> Void, for id: ConnectionID) throws(ProtocolFailure) -> Bool {
        if let queue = queues[id] {
            guard queue.count < Self.limit else {
                throw ProtocolFailure(.serverBusy, "\(queue.count) chat requests of this connection are waiting; slow down")
            }
            queues[id]!.append(request)
            return false
        }
        queues[id] = [request]
        return true
    }

    /// The next request of `id`, removing the one that ran; `nil` (and the worker ends) when none is left.
    mutating func next(for id: ConnectionID, finished: Bool) -> (@Sendable () async -> Void)? {
        if finished { queues[id]?.removeFirst() }
        guard let request = queues[id]?.first else {
            queues[id] = nil
            return nil
        }
        return request
    }
}
