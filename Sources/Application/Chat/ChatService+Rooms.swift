#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import DequeModule
import StreamingDomain

extension ChatService {
    /// Creates a room, as `create_room` does: for servers that set their rooms up at start.
    ///
    /// - Parameters:
    ///   - maxParticipants: `nil` for ``ChatOptions/defaultMaxParticipants``.
    ///   - messageHistory: `nil` for ``ChatOptions/defaultMessageHistory``.
    ///   - allowed: The identities (display names without authentication) that may join a
    ///     restricted room, besides its creator.
    ///   - agent: The agent that answers in the room; `nil` for ``ChatOptions/defaultAgent``.
    ///   - createdBy: The creator's identity: it may always join, and delete the room. Empty
    ///     (the default, for rooms the server sets up): no client may delete it.
    /// - Throws: `room_exists`, `room_limit`, `not_found` (agent), `invalid_message`
    ///   (a name or number out of range), `server_busy` after shutdown.
    ///
    /// In a cluster the room is created in the ledger in the background (a name that exists
    /// there already, or the room limit, is logged).
    @discardableResult
    public func createRoom(
        named name: String,
        maxParticipants: Int? = nil,
        messageHistory: Int? = nil,
        restricted: Bool = false,
        allowed: Set<String> = [],
        agent: String? = nil,
        createdBy: String = ""
    ) throws(ProtocolFailure) -> Room {
        let room = try roomSettings(
            named: name, maxParticipants: maxParticipants, messageHistory: messageHistory, restricted: restricted,
            allowed: allowed, agent: agent, createdBy: createdBy)
        if let cluster {
            guard !directory.withLock({ $0.isShutDown }) else { throw ProtocolFailure(.serverBusy, "the server is shutting down") }
            _ = workContinuation.yield(.task { await self.createInLedger(room, cluster: cluster, for: nil) })
            return room
        }
        return try register(room)
    }

    /// A new room's settings, checked.
    func roomSettings(
        named name: String, maxParticipants: Int?, messageHistory: Int?, restricted: Bool, allowed: Set<String>,
        agent: String?, createdBy: String
    ) throws(ProtocolFailure) -> Room {
        guard !name.allSatisfy(\.isWhitespace), name.count <= FieldReader.maxRoomNameLength else {
            throw ProtocolFailure(.invalidMessage, "\"room\" must be 1 to \(FieldReader.maxRoomNameLength) characters")
        }
        let maxParticipants = maxParticipants ?? options.defaultMaxParticipants
        guard maxParticipants >= 1, maxParticipants <= max(1, options.participantLimit) else {
            throw ProtocolFailure(.invalidMessage, "\"max_participants\" must be 1 to \(options.participantLimit)")
        }
        let messageHistory = messageHistory ?? options.defaultMessageHistory
        guard messageHistory >= 0, messageHistory <= options.messageHistoryLimit else {
            throw ProtocolFailure(.invalidMessage, "\"message_history\" must be 0 to \(options.messageHistoryLimit)")
        }
        let agentName: String?
        if let agent {
            guard agents[agent] != nil else { throw ProtocolFailure(.notFound, "no agent named \"\(agent)\"") }
            agentName = agent
        } else if let fallback = options.defaultAgent, agents[fallback] != nil {
            agentName = fallback
        } else {
            agentName = nil
        }
        let room = Room(
            name: name,
            maxParticipants: maxParticipants,
            messageHistory: messageHistory,
            restricted: restricted,
            allowed: allowed,
            agent: agentName,
            // The room's agents: the first answers, any of them may take over.
            specialists: agentName.map { [$0] } ?? [],
            createdBy: createdBy,
            createdAt: Date()
        )
        return room
    }

    /// Adds a checked room to this process's rooms.
    private func register(_ room: Room) throws(ProtocolFailure) -> Room {
        let name = room.name
        let agentName = room.agent
        let created = ChatRoom(room: room, lastSeq: 0, recent: [], cacheLimit: cacheLimit(for: room))
        try directory.withLock { directory throws(ProtocolFailure) in
            guard !directory.isShutDown else { throw ProtocolFailure(.serverBusy, "the server is shutting down") }
            guard directory.rooms[name] == nil else { throw ProtocolFailure(.roomExists, "room \"\(name)\" exists") }
            guard directory.rooms.count < options.maxRooms else {
                throw ProtocolFailure(.roomLimit, "the server holds its limit of \(options.maxRooms) rooms")
            }
            directory.rooms[name] = created
            directory.order.append(name)
            // Queued under the directory's lock, so it is written before a later delete of the name.
            enqueue(.save(room))
        }
        logger.debug("room created", metadata: ["room": "\(name)", "agent": "\(agentName ?? "none")"])
        return room
    }

    func handleCreateRoom(_ connection: Connection, _ fields: FieldReader) throws(ProtocolFailure) {
        let room = try createRoomRequest(connection, fields)
        hub.send(ChatFrames.roomCreated(try register(room)), to: connection)
    }

    /// The room a `create_room` asks for, checked.
    func createRoomRequest(_ connection: Connection, _ fields: FieldReader) throws(ProtocolFailure) -> Room {
        let name = try fields.roomName()
        let maxParticipants = try fields.optionalInt("max_participants", in: 1...max(1, options.participantLimit))
        let messageHistory = try fields.optionalInt("message_history", in: 0...options.messageHistoryLimit)
        let restricted = try fields.optionalBool("restricted") ?? false
        let allowed = try fields.optionalStrings("allowed") ?? []
        let agent = try fields.optionalString("agent")
        let requested = try fields.displayName()
        let creator = connection.identity ?? requested ?? ""
        return try roomSettings(
            named: name,
            maxParticipants: maxParticipants,
            messageHistory: messageHistory,
            restricted: restricted,
            allowed: Set(allowed),
            agent: agent,
            createdBy: creator
        )
    }

    /// Who a `join_room` joins as: the key that allow-lists and rate limits use, and the name
    /// others see.
    static func joiner(_ connection: Connection, _ fields: FieldReader) throws(ProtocolFailure) -> (key: String, user: String) {
        let requested = try fields.displayName()
        if let identity = connection.identity {
            // Authenticated: the identity decides who joins; `user` is only how others see it.
            return (identity, requested ?? identity)
        }
        guard let requested else {
            throw ProtocolFailure(.invalidMessage, "join_room needs \"user\": a display name")
        }
        return (requested, requested)
    }

    func handleJoin(_ connection: Connection, _ fields: FieldReader) throws(ProtocolFailure) {
        let name = try fields.roomName()
        let (key, user) = try Self.joiner(connection, fields)
        guard !directory.withLock({ $0.isShutDown }) else {
            throw ProtocolFailure(.serverBusy, "the server is shutting down")
        }
        let room = try room(named: name)
        let joined = try room.state.withLock { state throws(ProtocolFailure) -> Bool in
            guard !state.isDeleted else { throw ProtocolFailure(.notFound, "no room \"\(name)\"") }
            if let existing = state.members[connection.id] {
                // Joining again (a page that lost track) just tells it the room's state again.
                hub.send(ChatFrames.roomJoined(state, member: existing, history: joinHistory(state)), to: connection)
                return false
            }
            guard state.room.admits(key) else {
                throw ProtocolFailure(.forbidden, "room \"\(name)\" is restricted")
            }
            guard state.members.count < state.room.maxParticipants else {
                throw ProtocolFailure(.roomFull, "room \"\(name)\" has its \(state.room.maxParticipants) participants")
            }
            state.joins += 1
            let member = ChatRoom.Member(connection: connection, user: user, key: key, order: state.joins)
            state.members[connection.id] = member
            state.broadcast(ChatFrames.presence("user_joined", room: name, member: member), through: hub, except: connection.id)
            // Under the room's lock: the chunks of a streaming answer come after this snapshot of it.
            hub.send(ChatFrames.roomJoined(state, member: member, history: joinHistory(state)), to: connection)
            return true
        }
        guard joined else { return }
        directory.withLock { _ = $0.memberships[connection.id, default: []].insert(name) }
        // A disconnect that ran between the two locks found no membership to end: end it here.
        if !connection.isOpen { leaveEveryRoom(connection) }
    }

    /// The recent messages a joiner receives.
    private func joinHistory(_ state: ChatRoom.State) -> Slice<Deque<RoomMessage>> {
        fitting(state.recent.suffix(min(state.room.messageHistory, options.historyPageLimit)))
    }

    func handleLeave(_ connection: Connection, _ fields: FieldReader) throws(ProtocolFailure) {
        let name = try fields.roomName()
        let room = try room(named: name)
        remove(connection.id, from: room)
        directory.withLock { directory in
            directory.memberships[connection.id]?.remove(name)
            if directory.memberships[connection.id]?.isEmpty == true { directory.memberships[connection.id] = nil }
        }
        // Answered whether or not it was a member: leaving is idempotent.
        hub.send(ChatFrames.roomEvent("room_left", room: name), to: connection)
    }

    /// The hub's disconnect hook: a connection that is gone leaves every room it was in.
    func leaveEveryRoom(_ connection: Connection) {
        let (names, rooms) = directory.withLock { directory -> (Set<String>, [String: ChatRoom]) in
            let names = directory.memberships.removeValue(forKey: connection.id) ?? []
            return (names, directory.rooms.filter { names.contains($0.key) })
        }
        for name in names {
            if let room = rooms[name] { remove(connection.id, from: room) }
        }
    }

    /// Removes a member and tells the others (`user_left`); does nothing for a non-member.
    private func remove(_ id: ConnectionID, from room: ChatRoom) {
        room.state.withLock { state in
            guard let member = state.members.removeValue(forKey: id) else { return }
            state.typing[id] = nil
            state.broadcast(ChatFrames.presence("user_left", room: state.room.name, member: member), through: hub)
        }
    }

    func handleListRooms(_ connection: Connection) {
        let summaries = allRooms().map { room in
            room.state.withLock { state in
                ChatFrames.RoomSummary(room: state.room, participants: state.members.count, lastSeq: state.lastSeq)
            }
        }
        hub.send(ChatFrames.rooms(summaries), to: connection)
    }

    func handleDeleteRoom(_ connection: Connection, _ fields: FieldReader) throws(ProtocolFailure) {
        let name = try fields.roomName()
        let requested = try fields.displayName()
        let wasMember = try directory.withLock { directory throws(ProtocolFailure) -> Bool in
            guard let room = directory.rooms[name] else { throw ProtocolFailure(.notFound, "no room \"\(name)\"") }
            let members = try room.state.withLock { state throws(ProtocolFailure) -> [ConnectionID] in
                let key = connection.identity ?? state.members[connection.id]?.key ?? requested
                guard !state.room.createdBy.isEmpty, key == state.room.createdBy else {
                    throw ProtocolFailure(.forbidden, "only the creator of room \"\(name)\" may delete it")
                }
                state.isDeleted = true
                state.broadcast(ChatFrames.roomEvent("room_deleted", room: name), through: hub)
                state.waiting.removeAll()
                state.live?.stop.set()
                let members = Array(state.members.keys)
                state.members.removeAll()
                state.typing.removeAll()
                enqueue(.delete(name))
                return members
            }
            directory.rooms[name] = nil
            directory.order.removeAll { $0 == name }
            for id in members {
                directory.memberships[id]?.remove(name)
                if directory.memberships[id]?.isEmpty == true { directory.memberships[id] = nil }
            }
            return members.contains(connection.id)
        }
        if !wasMember { hub.send(ChatFrames.roomEvent("room_deleted", room: name), to: connection) }
        logger.debug("room deleted", metadata: ["room": "\(name)"])
    }
}
