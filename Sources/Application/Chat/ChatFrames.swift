import StreamingDomain

/// Encoders for the chat frames the server sends (docs/PROTOCOL.md, "Chat rooms").
///
/// Each returns an ``OutboundFrame`` encoded once, which a broadcast hands to every member.
enum ChatFrames {
    // MARK: Rooms

    /// `room_created`, to the creator: the settings, with the allow-list.
    static func roomCreated(_ room: Room) -> OutboundFrame {
        ServerFrame.encode(capacity: 256) { writer in
            writer.field("type", "room_created")
            writeSettings(of: room, to: &writer)
            if room.restricted {
                writer.key("allowed")
                writer.beginArray()
                for identity in room.allowed.sorted() { writer.string(identity) }
                writer.endArray()
            }
        }
    }

    /// `room_joined`, to the joiner: settings, members, recent history and the answer streaming now.
    static func roomJoined(
        _ state: ChatRoom.State, member: ChatRoom.Member, history: some Collection<RoomMessage>
    ) -> OutboundFrame {
        roomJoined(
            room: state.room, clientID: member.connection.id.rawValue, user: member.user,
            members: state.memberList.map { ($0.connection.id.rawValue, $0.user) },
            typing: state.typists.map { ($0.connection.id.rawValue, $0.user) },
            lastSeq: state.lastSeq, history: history,
            live: state.live.map { ($0.stream, $0.agent, $0.chunks, $0.content) })
    }

    /// `room_joined` for a room of the cluster, from the ledger's snapshot.
    static func roomJoined(_ snapshot: RoomSnapshot, clientID: String, user: String, history: some Collection<RoomMessage>)
        -> OutboundFrame
    {
        roomJoined(
            room: snapshot.room, clientID: clientID, user: user,
            members: snapshot.members.map { ($0.clientID, $0.user) }, typing: snapshot.typing.map { ($0.clientID, $0.user) },
            lastSeq: snapshot.lastSeq, history: history,
            live: snapshot.live.map { ($0.stream, $0.agent, $0.chunks, $0.content) })
    }

    private static func roomJoined(
        room: Room, clientID: String, user: String, members: [(String, String)], typing: [(String, String)], lastSeq: Int,
        history: some Collection<RoomMessage>, live: (stream: String, agent: String, chunks: Int, content: String)?
    ) -> OutboundFrame {
        ServerFrame.encode(capacity: 512 + history.count * 160 + (live?.content.utf8.count ?? 0)) { writer in
            writer.field("type", "room_joined")
            writeSettings(of: room, to: &writer)
            writer.field("client_id", clientID)
            writer.field("user", user)
            writer.key("members")
            writePeople(members, to: &writer)
            writer.key("typing")
            writePeople(typing, to: &writer)
            writer.field("last_seq", lastSeq)
            writer.key("history")
            writer.beginArray()
            for message in history { writeMessage(message, to: &writer) }
            writer.endArray()
            writer.field("has_more", (history.first?.seq ?? (lastSeq + 1)) > 1)
            writer.key("streaming")
            if let live {
                writer.beginObject()
                writer.field("stream", live.stream)
                writer.field("agent", live.agent)
                writer.field("seq", live.chunks)
                writer.field("content", live.content)
                writer.endObject()
            } else {
                writer.null()
            }
        }
    }

    /// `user_joined` or `user_left`, to the other members.
    static func presence(_ type: String, room: String, member: ChatRoom.Member) -> OutboundFrame {
        presence(type, room: room, clientID: member.connection.id.rawValue, user: member.user)
    }

    /// `user_joined` or `user_left` for a member of any node.
    static func presence(_ type: String, room: String, clientID: String, user: String) -> OutboundFrame {
        ServerFrame.encode(capacity: 96) { writer in
            writer.field("type", type)
            writer.field("room", room)
            writer.field("client_id", clientID)
            writer.field("user", user)
        }
    }

    /// `room_left` (to the leaver) or `room_deleted` (to every member).
    static func roomEvent(_ type: String, room: String) -> OutboundFrame {
        ServerFrame.encode { writer in
            writer.field("type", type)
            writer.field("room", room)
        }
    }

    /// One entry of the `rooms` list.
    struct RoomSummary {
        var room: Room
        var participants: Int
        var lastSeq: Int
    }

    /// `rooms`: the answer to `list_rooms`, in creation order.
    static func rooms(_ summaries: [RoomSummary]) -> OutboundFrame {
        ServerFrame.encode(capacity: 32 + summaries.count * 128) { writer in
            writer.field("type", "rooms")
            writer.key("rooms")
            writer.beginArray()
            for summary in summaries {
                writer.beginObject()
                writer.field("room", summary.room.name)
                writer.field("participants", summary.participants)
                writer.field("max_participants", summary.room.maxParticipants)
                writer.field("restricted", summary.room.restricted)
                writeAgent(summary.room.agent, to: &writer)
                writer.field("last_seq", summary.lastSeq)
                writer.endObject()
            }
            writer.endArray()
        }
    }

    // MARK: Messages

    /// `chat_message`: one message of the room, to every member.
    /// - Parameters:
    ///   - stream: The answer stream an agent's message completes.
    ///   - stopped: Whether the message is the partial answer of a stopped (or failed) stream.
    static func chatMessage(_ message: RoomMessage, stream: String? = nil, stopped: Bool = false) -> OutboundFrame {
        ServerFrame.encode(capacity: 160 + message.content.utf8.count) { writer in
            writer.field("type", "chat_message")
            writer.field("room", message.room)
            writeMessageFields(message, to: &writer)
            if let stream { writer.field("stream", stream) }
            if stopped { writer.field("stopped", true) }
        }
    }

    /// `history`: a page of older messages, the answer to `get_history`.
    static func history(room: String, messages: [RoomMessage], hasMore: Bool) -> OutboundFrame {
        ServerFrame.encode(capacity: 64 + messages.count * 160) { writer in
            writer.field("type", "history")
            writer.field("room", room)
            writer.key("messages")
            writer.beginArray()
            for message in messages { writeMessage(message, to: &writer) }
            writer.endArray()
            writer.field("has_more", hasMore)
        }
    }

    /// `typing_start` or `typing_stop`, to the other members.
    static func typing(_ type: String, room: String, member: ChatRoom.Member, expired: Bool = false) -> OutboundFrame {
        typing(type, room: room, clientID: member.connection.id.rawValue, user: member.user, expired: expired)
    }

    /// `typing_start` or `typing_stop` for a member of any node.
    static func typing(_ type: String, room: String, clientID: String, user: String, expired: Bool = false) -> OutboundFrame {
        ServerFrame.encode(capacity: 96) { writer in
            writer.field("type", type)
            writer.field("room", room)
            writer.field("client_id", clientID)
            writer.field("user", user)
            if expired { writer.field("expired", true) }
        }
    }

    // MARK: Stats

    /// `chat_stats`: the answer to `chat_stats`.
    static func stats(_ stats: ChatStats) -> OutboundFrame {
        ServerFrame.encode(capacity: 256 + stats.rooms.count * 64) { writer in
            writer.field("type", "chat_stats")
            if let node = stats.node {
                // A node of a cluster: which figures are this node's alone.
                writer.field("node", node)
                writer.key("per_node")
                writer.beginArray()
                for field in ChatStats.perNodeFields { writer.string(field) }
                writer.endArray()
            }
            writer.field("connected_clients", stats.connectedClients)
            writer.field("active_sessions", stats.activeSessions)
            writer.field("active_streams", stats.activeStreams)
            writer.key("available_agents")
            writer.beginArray()
            for agent in stats.availableAgents { writer.string(agent) }
            writer.endArray()
            writer.field("total_messages", stats.totalMessages)
            writer.key("rooms")
            writer.beginArray()
            for room in stats.rooms {
                writer.beginObject()
                writer.field("room", room.name)
                writer.field("participants", room.participants)
                writer.field("messages", room.messages)
                writer.endObject()
            }
            writer.endArray()
        }
    }

    // MARK: Pieces

    private static func writeSettings(of room: Room, to writer: inout JSONWriter) {
        writer.field("room", room.name)
        writer.field("max_participants", room.maxParticipants)
        writer.field("message_history", room.messageHistory)
        writer.field("restricted", room.restricted)
        writeAgent(room.agent, to: &writer)
        writer.key("specialists")
        writer.beginArray()
        for specialist in room.specialists { writer.string(specialist) }
        writer.endArray()
    }

    static func writeAgent(_ agent: String?, key: String = "agent", to writer: inout JSONWriter) {
        writer.key(key)
        if let agent { writer.string(agent) } else { writer.null() }
    }

    private static func writePeople(_ members: [(clientID: String, user: String)], to writer: inout JSONWriter) {
        writer.beginArray()
        for member in members {
            writer.beginObject()
            writer.field("client_id", member.clientID)
            writer.field("user", member.user)
            writer.endObject()
        }
        writer.endArray()
    }

    /// A message inside `history` arrays: the fields of `chat_message` without `type` and `room`.
    private static func writeMessage(_ message: RoomMessage, to writer: inout JSONWriter) {
        writer.beginObject()
        writeMessageFields(message, to: &writer)
        writer.endObject()
    }

    private static func writeMessageFields(_ message: RoomMessage, to writer: inout JSONWriter) {
        writer.field("seq", message.seq)
        writer.field("sender", message.sender.rawValue)
        writer.field("user", message.author)
        writer.field("content", message.content)
        writer.field("sent_at", ISO8601Timestamp.string(from: message.sentAt))
    }
}
