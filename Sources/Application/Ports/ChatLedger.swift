import StreamingDomain

/// Where the chat rooms of a cluster are decided: the one place every node asks before a
/// room changes, so a room is one room whichever node each member is connected to.
///
/// Every change is one atomic step in the ledger (a Lua script in Redis): a room's `seq` is
/// allocated there, so messages from three nodes at once get one order; a join counts the
/// members of every node, so two nodes cannot both admit the last seat; a room's answers
/// are queued there and run by one node at a time. Each step that members must see also
/// publishes a frame on the room's channel, numbered by the room's event counter (`ev`), and
/// every node delivers the frames of a channel to its own members in that order - the node
/// that made the change too, so everyone sees the same order.
///
/// A node that joins a member listens to the room first, then joins (the reply is a snapshot
/// of the room with its `ev`): the frames numbered up to the snapshot's `ev` are in it, later
/// ones follow, nothing twice and nothing lost.
///
/// Nodes beat every second (``heartbeat()``); any node reaps a node whose beats
/// stopped (``reap(silentFor:)``): its members leave and its answers end.
///
/// Implemented by `RedisChatLedger` (StreamingRedis). `ChatService` uses it when it is given
/// one; without it, rooms live in one process.
public protocol ChatLedger: Sendable {
    /// This node's name, unique in the cluster.
    var nodeID: String { get }

    /// The frames of the rooms this node listens to, in each room's order. One consumer.
    var events: AsyncStream<RoomEvent> { get }

    /// Starts receiving `room`'s frames; returns once they are received.
    func listen(to room: String) async throws
    /// Stops receiving `room`'s frames.
    func stopListening(to room: String)

    /// Stores a new room, unless one has its name or the cluster holds `maxRooms` rooms.
    func createRoom(_ room: Room, maxRooms: Int) async throws -> LedgerOutcome<Room>
    /// Deletes a room when `requestedBy` created it, publishing `notice` to its members first.
    func deleteRoom(named name: String, requestedBy: String?, notice: OutboundFrame) async throws -> LedgerOutcome<Void>
    /// A room's settings.
    func room(named name: String) async throws -> Room?
    /// Every room with its figures, in creation order.
    func summaries() async throws -> [RoomFigures]

    /// Admits `member` unless the room is full (counting every node's members), restricted to
    /// others, or gone, publishing `notice` (`user_joined`) to the other members; the snapshot
    /// holds the room as of the join. A member already in the room gets a snapshot, and no notice.
    func join(_ room: String, member: LedgerMember, notice: OutboundFrame, recent: Int) async throws -> LedgerOutcome<RoomSnapshot>
    /// A member leaves, publishing `notice` (`user_left`); `false` when it was not a member.
    func leave(_ room: String, clientID: String, notice: OutboundFrame) async throws -> Bool

    /// Numbers and stores a message, publishes it, and - for a user message in a room with an
    /// agent, when `queueForAgent` - queues it for the agent.
    func post(_ message: MessageTemplate, queueForAgent: Bool, maxWaiting: Int) async throws -> LedgerOutcome<PostReceipt>
    /// Publishes `frame` to `room`'s members (but `except`).
    func publish(_ frame: OutboundFrame, in room: String, except clientID: String?) async throws
    /// Records that a member started (or stopped) typing and publishes `frame` when it changed.
    func setTyping(_ typing: Bool, clientID: String, user: String, in room: String, frame: OutboundFrame) async throws

    /// Takes the oldest message waiting for `room`'s agent, when this node answers the room,
    /// and makes `stream` the room's live answer; `nil` (and this node no longer answers the
    /// room) when none waits.
    func nextAnswer(in room: String, stream: String, context: Int) async throws -> AnswerTicket?
    /// Adds a chunk to the live answer `stream` and publishes `frame` with the chunk's number
    /// spliced in; `nil` when `stream` is no longer the room's live answer (stopped elsewhere,
    /// or its node was declared lost).
    func appendChunk(_ text: String, to stream: String, in room: String, frame: SeqTemplate) async throws -> Int?
    /// Publishes a frame of the live answer `stream` (tool calls); `false` when it is no longer live.
    func publishAnswerFrame(_ frame: OutboundFrame, of stream: String, in room: String) async throws -> Bool
    /// Changes the live answer's agent (a handoff mid-answer).
    func setAnswerAgent(_ agent: String, of stream: String, in room: String) async throws
    /// Ends the live answer `stream`; returns what it had said (`nil` when it was no longer live).
    func endAnswer(_ stream: String, in room: String) async throws -> LiveAnswerState?
    /// Asks the node running `room`'s answer to stop it; `false` when none runs.
    func requestStop(in room: String) async throws -> Bool

    /// Makes `agent` the room's agent (and a specialist); returns the agent before.
    func handOff(_ room: String, to agent: String, requireSpecialist: Bool) async throws -> LedgerOutcome<String?>
    /// Adds a specialist to the room (its agent when it had none); `false` when it was there.
    func addAgent(_ agent: String, to room: String) async throws -> LedgerOutcome<Room>

    /// This node is alive; `false` when it was declared lost meanwhile.
    func heartbeat() async throws -> Bool
    /// Declares the nodes silent for `silentFor` lost: removes their members, ends their
    /// answers and hands their rooms' waiting messages to this node. Exactly one node reaps each.
    func reap(silentFor: Duration) async throws -> [ReapedRoom]
    /// This node starts: what an earlier process of the same name left (members, answers)
    /// is ended as a reaper would, so a node restarted under a fixed name does not keep
    /// ghosts or an answer that never ends.
    func restart() async throws -> [ReapedRoom]
    /// This node leaves the cluster (a drain): rooms it answered are handed to others.
    func leaveCluster() async throws
}

/// What a change in the ledger came to.
public enum LedgerOutcome<Value: Sendable>: Sendable {
    case done(Value)
    case notFound
    case exists
    case limit
    case forbidden
    case full(Int)
}

/// A frame published on a room's channel.
public struct RoomEvent: Sendable {
    public enum Kind: Sendable {
        /// A frame for the members (but `except`).
        case frame(OutboundFrame, except: String?)
        /// `stop_stream` for the answer `stream`: for the node running it.
        case stop(stream: String)
        /// The room was deleted; `frame` is `room_deleted`.
        case deleted(OutboundFrame)
        /// The room's frames may have been missed (the connection to the bus was lost and is
        /// back): its members here must get its state again. `ev` is 0.
        case missed
    }

    public let room: String
    /// The room's event number.
    public let ev: Int
    public let kind: Kind

    public init(room: String, ev: Int, kind: Kind) {
        self.room = room
        self.ev = ev
        self.kind = kind
    }
}

/// A member as the ledger holds it.
public struct LedgerMember: Sendable, Hashable, Codable {
    public var clientID: String
    public var user: String
    public var key: String
    public var node: String
    /// Join order in the room (set by the ledger).
    public var order: Int

    public init(clientID: String, user: String, key: String, node: String, order: Int = 0) {
        self.clientID = clientID
        self.user = user
        self.key = key
        self.node = node
        self.order = order
    }
}

/// The answer a room's agent is streaming.
public struct LiveAnswerState: Sendable, Hashable {
    public var stream: String
    public var agent: String
    public var node: String
    public var chunks: Int
    public var content: String

    public init(stream: String, agent: String, node: String, chunks: Int, content: String) {
        self.stream = stream
        self.agent = agent
        self.node = node
        self.chunks = chunks
        self.content = content
    }
}

/// A room as of one event number.
public struct RoomSnapshot: Sendable {
    public var room: Room
    /// Frames numbered up to this are reflected here.
    public var ev: Int
    public var lastSeq: Int
    /// Every node's members, in join order.
    public var members: [LedgerMember]
    /// The members typing now.
    public var typing: [LedgerMember]
    /// The most recent messages, ascending.
    public var recent: [RoomMessage]
    public var live: LiveAnswerState?
    /// The member the join was for.
    public var member: LedgerMember?

    public init(
        room: Room, ev: Int, lastSeq: Int, members: [LedgerMember], typing: [LedgerMember], recent: [RoomMessage],
        live: LiveAnswerState?, member: LedgerMember?
    ) {
        self.room = room
        self.ev = ev
        self.lastSeq = lastSeq
        self.members = members
        self.typing = typing
        self.recent = recent
        self.live = live
        self.member = member
    }
}

/// A room's figures across the cluster.
public struct RoomFigures: Sendable, Hashable {
    public var room: Room
    public var participants: Int
    public var lastSeq: Int
    public var streaming: Bool

    public init(room: Room, participants: Int, lastSeq: Int, streaming: Bool) {
        self.room = room
        self.participants = participants
        self.lastSeq = lastSeq
        self.streaming = streaming
    }
}

/// Bytes with a `seq` the ledger fills in: `head + seq + tail`.
public struct SeqTemplate: Sendable, Hashable {
    public var head: [UInt8]
    public var tail: [UInt8]

    public init(head: [UInt8], tail: [UInt8]) {
        self.head = head
        self.tail = tail
    }

    /// The marker a template is made from: a number no real `seq` has, written where the
    /// `seq` goes.
    public static let marker = -7_919_313_131

    /// Splits `bytes` at the first `"<field>":<marker>`; `nil` when it is not there.
    public init?(splitting bytes: [UInt8], field: String = "seq") {
        let needle = Array("\"\(field)\":\(Self.marker)".utf8)
        guard bytes.count >= needle.count else { return nil }
        var index = 0
        while index + needle.count <= bytes.count {
            if bytes[index] == needle[0], bytes[index..<(index + needle.count)].elementsEqual(needle) {
                let valueStart = index + needle.count - String(Self.marker).utf8.count
                self.head = Array(bytes[..<valueStart])
                self.tail = Array(bytes[(index + needle.count)...])
                return
            }
            index += 1
        }
        return nil
    }

    /// The bytes with `seq` in place.
    public func filled(_ seq: Int) -> [UInt8] { head + Array(String(seq).utf8) + tail }
}

/// A message for the ledger to number: the message itself (its `seq` is
/// ``SeqTemplate/marker`` until numbered) and the frame members get, with its `seq` to fill in.
public struct MessageTemplate: Sendable {
    public var message: RoomMessage
    public var frame: SeqTemplate
    /// The member who sent it (to check membership), for user messages.
    public var clientID: String?
    /// Kept at least this many messages, whatever the room's `message_history` (the agent's context).
    public var keepAtLeast: Int

    public init(message: RoomMessage, frame: SeqTemplate, clientID: String?, keepAtLeast: Int) {
        self.message = message
        self.frame = frame
        self.clientID = clientID
        self.keepAtLeast = keepAtLeast
    }

    public var room: String { message.room }
}

/// A posted message's number, and what became of it in the agent's queue.
public struct PostReceipt: Sendable, Hashable {
    public var seq: Int
    /// This node must start answering the room.
    public var startAnswering: Bool
    /// The queue was full: this many wait; the message will not be answered.
    public var queueFull: Int?

    public init(seq: Int, startAnswering: Bool, queueFull: Int?) {
        self.seq = seq
        self.startAnswering = startAnswering
        self.queueFull = queueFull
    }
}

/// The message a room's agent answers next.
public struct AnswerTicket: Sendable {
    public var room: Room
    public var trigger: Int
    /// Messages up to the trigger, ascending.
    public var context: [RoomMessage]

    public init(room: Room, trigger: Int, context: [RoomMessage]) {
        self.room = room
        self.trigger = trigger
        self.context = context
    }
}

/// A room a lost node was in.
public struct ReapedRoom: Sendable {
    public var room: String
    /// Its members that left.
    public var members: [LedgerMember]
    /// Its answer that ended with it.
    public var answer: LiveAnswerState?
    /// Whether this node now answers the room's waiting messages.
    public var answerNow: Bool

    public init(room: String, members: [LedgerMember], answer: LiveAnswerState?, answerNow: Bool) {
        self.room = room
        self.members = members
        self.answer = answer
        self.answerNow = answerNow
    }
}
