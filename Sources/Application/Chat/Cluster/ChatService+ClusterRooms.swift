import StreamingDomain

/// Rooms and members in a cluster: every change asks the ``ChatLedger``; the room's frames
/// come back from it, in the room's order, to every node (this one too).
extension ChatService {
    func installClusterHandlers(_ cluster: ChatClusterState) {
        register("create_room") { service, connection, fields throws(ProtocolFailure) in
            let room = try service.createRoomRequest(connection, fields)
            try service.request(for: connection, cluster) { await service.createInLedger(room, cluster: cluster, for: connection) }
        }
        register("join_room") { service, connection, fields throws(ProtocolFailure) in
            try service.handleClusterJoin(connection, fields, cluster)
        }
        register("leave_room") { service, connection, fields throws(ProtocolFailure) in
            let name = try fields.roomName()
            try service.request(for: connection, cluster) { await service.leave(connection, name, cluster, answer: true) }
        }
        register("delete_room") { service, connection, fields throws(ProtocolFailure) in
            let name = try fields.roomName()
            let requested = try fields.displayName()
            try service.request(for: connection, cluster) {
                await service.deleteInLedger(name, by: connection, requested: requested, cluster)
            }
        }
        register("list_rooms") { service, connection, _ throws(ProtocolFailure) in
            try service.request(for: connection, cluster) { await service.listRooms(to: connection, cluster) }
        }
        register("chat_stats") { service, connection, _ throws(ProtocolFailure) in
            try service.request(for: connection, cluster) {
                await service.refreshFigures(cluster)
                service.hub.send(ChatFrames.stats(service.stats), to: connection)
            }
        }
        register("chat_message") { service, connection, fields throws(ProtocolFailure) in
            try service.handleClusterMessage(connection, fields, cluster)
        }
        register("get_history") { service, connection, fields throws(ProtocolFailure) in
            try service.handleClusterHistory(connection, fields, cluster)
        }
        register("add_agent") { service, connection, fields throws(ProtocolFailure) in
            try service.handleClusterAddAgent(connection, fields, cluster)
        }
        register("handoff_request") { service, connection, fields throws(ProtocolFailure) in
            try service.handleClusterHandoff(connection, fields, cluster)
        }
        register("stop_stream") { service, connection, fields throws(ProtocolFailure) in
            try service.handleClusterStop(connection, fields, cluster)
        }
        if options.enableTypingIndicators {
            register("typing_start") { service, connection, fields throws(ProtocolFailure) in
                try service.handleClusterTyping(connection, fields, typing: true, cluster)
            }
            register("typing_stop") { service, connection, fields throws(ProtocolFailure) in
                try service.handleClusterTyping(connection, fields, typing: false, cluster)
            }
        }
        hub.onDisconnect { [weak self] connection, _ in
            self?.leaveEveryClusterRoom(connection, cluster)
        }
    }

    // MARK: Requests in order

    /// Queues a connection's request for the ledger behind its earlier ones.
    func request(
        for connection: Connection, _ cluster: ChatClusterState, _ body: @escaping @Sendable () async -> Void
    ) throws(ProtocolFailure) {
        guard !directory.withLock({ $0.isShutDown }) else { throw ProtocolFailure(.serverBusy, "the server is shutting down") }
        let start = try cluster.requests.withLock { requests throws(ProtocolFailure) in
            try requests.enqueue(body, for: connection.id)
        }
        if start, case .terminated = workContinuation.yield(.requests(connection.id)) {
            cluster.requests.withLock { $0.queues[connection.id] = nil }
            throw ProtocolFailure(.serverBusy, "the server is shutting down")
        }
    }

    /// Runs `id`'s queued requests one at a time (a child task of ``run()``).
    func runRequests(of id: ConnectionID) async {
        guard let cluster else { return }
        var request = cluster.requests.withLock { $0.next(for: id, finished: false) }
        while let body = request {
            await body()
            request = cluster.requests.withLock { $0.next(for: id, finished: true) }
        }
    }

    /// Answers a ledger failure (Redis unreachable) to the client: `cluster_unavailable`.
    func replyUnavailable(_ connection: Connection?, _ error: any Error, _ requestType: String) {
        logger.warning("chat ledger failed", metadata: ["request": "\(requestType)", "error": "\(error)"])
        guard let connection else { return }
        hub.reply(
            connection, ProtocolFailure(.clusterUnavailable, "the cluster's chat store cannot be reached; try again shortly"),
            requestType: requestType)
    }

    // MARK: Rooms

    func createInLedger(_ room: Room, cluster: ChatClusterState, for connection: Connection?) async {
        do {
            switch try await cluster.ledger.createRoom(room, maxRooms: options.maxRooms) {
            case .done(let created):
                logger.debug("room created", metadata: ["room": "\(room.name)"])
                if let connection { hub.send(ChatFrames.roomCreated(created), to: connection) }
            case .exists:
                reply(connection, ProtocolFailure(.roomExists, "room \"\(room.name)\" exists"), "create_room")
            default:
                reply(connection, ProtocolFailure(.roomLimit, "the cluster holds its limit of \(options.maxRooms) rooms"), "create_room")
            }
        } catch {
            replyUnavailable(connection, error, "create_room")
        }
    }

    /// An error to a client, or to the log for the server's own requests.
    func reply(_ connection: Connection?, _ failure: ProtocolFailure, _ requestType: String) {
        if let connection {
            hub.reply(connection, failure, requestType: requestType)
        } else {
            logger.notice("chat request refused", metadata: ["request": "\(requestType)", "error": "\(failure.message)"])
        }
    }

    private func deleteInLedger(_ name: String, by connection: Connection, requested: String?, _ cluster: ChatClusterState) async {
        let member = cluster.local.withLock { $0.rooms[name]?.members[connection.id] }
        let key = connection.identity ?? member?.key ?? requested
        do {
            let notice = ChatFrames.roomEvent("room_deleted", room: name)
            switch try await cluster.ledger.deleteRoom(named: name, requestedBy: key, notice: notice) {
            case .done:
                logger.debug("room deleted", metadata: ["room": "\(name)"])
                // Members hear it from the room; a creator outside it is told here.
                if member == nil { hub.send(notice, to: connection) }
            case .notFound:
                hub.reply(connection, ProtocolFailure(.notFound, "no room \"\(name)\""), requestType: "delete_room")
            default:
                hub.reply(
                    connection, ProtocolFailure(.forbidden, "only the creator of room \"\(name)\" may delete it"),
                    requestType: "delete_room")
            }
        } catch {
            replyUnavailable(connection, error, "delete_room")
        }
    }

    private func listRooms(to connection: Connection, _ cluster: ChatClusterState) async {
        do {
            let figures = try await cluster.ledger.summaries()
            cluster.figures.withLock { $0 = figures }
            hub.send(
                ChatFrames.rooms(figures.map { ChatFrames.RoomSummary(room: $0.room, participants: $0.participants, lastSeq: $0.lastSeq) }),
                to: connection)
        } catch {
            replyUnavailable(connection, error, "list_rooms")
        }
    }

    /// Reads the cluster's room figures for ``stats``.
    func refreshFigures(_ cluster: ChatClusterState) async {
        do {
            let figures = try await cluster.ledger.summaries()
            cluster.figures.withLock { $0 = figures }
        } catch {
            logger.debug("room figures not refreshed", metadata: ["error": "\(error)"])
        }
    }

    /// Figures of a node: rooms, participants, messages and streams of the whole cluster (as
    /// last read), connections and store writes of this node.
    func clusterStats(_ cluster: ChatClusterState) -> ChatStats {
        let figures = cluster.figures.withLock { $0 }
        var stats = ChatStats(
            connectedClients: hub.connections.count,
            activeSessions: figures.reduce(0) { $0 + $1.participants },
            activeStreams: figures.filter(\.streaming).count,
            availableAgents: agents.keys.sorted(),
            totalMessages: figures.reduce(0) { $0 + $1.lastSeq },
            rooms: figures.map { ChatStats.RoomStats(name: $0.room.name, participants: $0.participants, messages: $0.lastSeq) },
            pendingWrites: 0,
            failedWrites: 0
        )
        stats.node = cluster.ledger.nodeID
        return stats
    }

    // MARK: Members

    private func handleClusterJoin(_ connection: Connection, _ fields: FieldReader, _ cluster: ChatClusterState) throws(ProtocolFailure) {
        let name = try fields.roomName()
        let (key, user) = try Self.joiner(connection, fields)
        try request(for: connection, cluster) { await self.join(connection, name, user: user, key: key, cluster) }
    }

    /// Listens to the room, asks the ledger to admit the member, then sends `room_joined` and
    /// whatever the room said after the snapshot, in order.
    private func join(_ connection: Connection, _ name: String, user: String, key: String, _ cluster: ChatClusterState) async {
        let isNew = cluster.local.withLock { local -> Bool in
            if local.rooms[name]?.members[connection.id] != nil { return false }
            _ = local.retain(name)
            local.rooms[name]!.members[connection.id] = LocalRooms.Member(
                connection: connection, user: user, key: key, phase: .joining(buffer: []))
            local.memberships[connection.id, default: []].insert(name)
            return true
        }
        guard isNew else {
            // Joined already: the ledger's snapshot tells it the room's state again.
            await rejoin(connection, name, cluster)
            return
        }
        do {
            // Every joiner waits for the room's subscription (at once when it is in place):
            // what is published after its snapshot must reach this node.
            try await cluster.ledger.listen(to: name)
            let member = LedgerMember(clientID: connection.id.rawValue, user: user, key: key, node: cluster.ledger.nodeID)
            let outcome = try await cluster.ledger.join(
                name, member: member, notice: ChatFrames.presence("user_joined", room: name, clientID: member.clientID, user: user),
                recent: min(options.historyPageLimit, 200))
            guard case .done(let snapshot) = outcome else {
                abandonJoin(connection, name, cluster)
                switch outcome {
                case .forbidden: hub.reply(connection, ProtocolFailure(.forbidden, "room \"\(name)\" is restricted"), requestType: "join_room")
                case .full(let limit):
                    hub.reply(connection, ProtocolFailure(.roomFull, "room \"\(name)\" has its \(limit) participants"), requestType: "join_room")
                default: hub.reply(connection, ProtocolFailure(.notFound, "no room \"\(name)\""), requestType: "join_room")
                }
                return
            }
            let admitted = cluster.local.withLock { local -> Bool in
                guard var member = local.rooms[name]?.members[connection.id], case .joining(let buffer) = member.phase else {
                    return false
                }
                member.phase = .joined(since: snapshot.ev)
                local.rooms[name]!.members[connection.id] = member
                hub.send(roomJoinedFrame(snapshot, clientID: connection.id.rawValue, user: user), to: connection)
                for event in buffer { LocalRooms.send(event, to: member, since: snapshot.ev, through: hub) }
                return true
            }
            if !admitted {
                // The connection closed (and left here) while the ledger admitted it: no ghost.
                await leaveLedger(name, clientID: connection.id.rawValue, user: user, cluster)
            } else if !connection.isOpen {
                await leave(connection, name, cluster, answer: false)
            }
        } catch {
            abandonJoin(connection, name, cluster)
            replyUnavailable(connection, error, "join_room")
        }
    }

    private func roomJoinedFrame(_ snapshot: RoomSnapshot, clientID: String, user: String) -> OutboundFrame {
        let history = fitting(snapshot.recent.suffix(min(snapshot.room.messageHistory, options.historyPageLimit)))
        return ChatFrames.roomJoined(snapshot, clientID: clientID, user: user, history: history)
    }

    func rejoin(_ connection: Connection, _ name: String, _ cluster: ChatClusterState) async {
        guard let member = cluster.local.withLock({ $0.joined(connection.id, in: name) }) else { return }
        do {
            let ledgerMember = LedgerMember(clientID: connection.id.rawValue, user: member.user, key: member.key, node: cluster.ledger.nodeID)
            let outcome = try await cluster.ledger.join(
                name, member: ledgerMember, notice: ChatFrames.presence("user_joined", room: name, clientID: ledgerMember.clientID, user: member.user),
                recent: min(options.historyPageLimit, 200))
            guard case .done(let snapshot) = outcome else { return }
            cluster.local.withLock { local in
                guard var current = local.rooms[name]?.members[connection.id], case .joined = current.phase else { return }
                // Later frames than the snapshot's, only: what it holds is not sent twice. (The
                // snapshot's number is lower only when the room's numbering started again.)
                current.phase = .joined(since: snapshot.ev)
                local.rooms[name]!.members[connection.id] = current
                hub.send(roomJoinedFrame(snapshot, clientID: connection.id.rawValue, user: member.user), to: connection)
            }
        } catch {
            replyUnavailable(connection, error, "join_room")
        }
    }

    private func abandonJoin(_ connection: Connection, _ name: String, _ cluster: ChatClusterState) {
        let stop = cluster.local.withLock { local -> Bool in
            _ = local.remove(connection.id, from: name)
            return local.release(name)
        }
        if stop { cluster.ledger.stopListening(to: name) }
    }

    /// Leaves a room here and in the ledger (`user_left` to the others); `answer` sends `room_left`.
    func leave(_ connection: Connection, _ name: String, _ cluster: ChatClusterState, answer: Bool) async {
        let (member, stop) = cluster.local.withLock { local -> (LocalRooms.Member?, Bool) in
            guard let member = local.remove(connection.id, from: name) else { return (nil, false) }
            return (member, local.release(name))
        }
        if let member {
            await leaveLedger(name, clientID: connection.id.rawValue, user: member.user, cluster)
            if stop { cluster.ledger.stopListening(to: name) }
        }
        if answer { hub.send(ChatFrames.roomEvent("room_left", room: name), to: connection) }
    }

    /// Takes a member out of the ledger (`user_left` to the others). When the ledger cannot be
    /// reached, the leave is kept and retried with every heartbeat, so nobody stays listed
    /// after their connection is gone.
    func leaveLedger(_ room: String, clientID: String, user: String, _ cluster: ChatClusterState) async {
        do {
            _ = try await cluster.ledger.leave(
                room, clientID: clientID, notice: ChatFrames.presence("user_left", room: room, clientID: clientID, user: user))
        } catch {
            logger.warning("leave not recorded in the chat ledger; retried", metadata: ["room": "\(room)", "error": "\(error)"])
            cluster.pendingLeaves.withLock { $0.append(PendingLeave(room: room, clientID: clientID, user: user)) }
        }
    }

    /// Retries the leaves the ledger could not record.
    func retryLeaves(_ cluster: ChatClusterState) async {
        let pending = cluster.pendingLeaves.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        for leave in pending { await leaveLedger(leave.room, clientID: leave.clientID, user: leave.user, cluster) }
    }

    /// The hub's disconnect hook: the connection leaves every room. Requests it queued before
    /// still run, in order; each finds the connection gone (a join admits nobody).
    private func leaveEveryClusterRoom(_ connection: Connection, _ cluster: ChatClusterState) {
        let names = cluster.local.withLock { $0.memberships[connection.id] ?? [] }
        for name in names {
            _ = workContinuation.yield(.task { await self.leave(connection, name, cluster, answer: false) })
        }
    }

    // MARK: Frames from the ledger

    /// Hands each room's frames to this node's members (a child task of ``run()``).
    func deliverRoomEvents(_ cluster: ChatClusterState) async {
        for await event in cluster.ledger.events {
            let (delivery, unlisten) = cluster.local.withLock { local -> (LocalRooms.Delivery, Bool) in
                let delivery = local.deliver(event, through: hub)
                guard case .deleted = event.kind, let room = local.rooms[event.room] else { return (delivery, false) }
                // Nobody is in a deleted room; its answer (if this node runs it) stops.
                room.live?.stop.set()
                return (delivery, local.removeAll(from: event.room))
            }
            delivery.stop?.set()
            if unlisten { cluster.ledger.stopListening(to: event.room) }
            if !delivery.resync.isEmpty {
                logger.notice(
                    "frames of a room were missed; its members here get its state again",
                    metadata: ["room": "\(event.room)", "ev": "\(event.ev)"])
                for member in delivery.resync {
                    _ = workContinuation.yield(.task { await self.rejoin(member.connection, event.room, cluster) })
                }
            }
        }
    }
}
