#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StreamingDomain

/// Messages, history and typing in a cluster.
extension ChatService {
    /// Queues a request that only a member of `name` may make. Membership is checked when the
    /// request runs: requests run in order, so a `join_room` sent just before is done by then.
    func memberRequest(
        _ connection: Connection, _ name: String, _ requestType: String, _ cluster: ChatClusterState,
        _ body: @escaping @Sendable (LocalRooms.Member) async -> Void
    ) throws(ProtocolFailure) {
        try request(for: connection, cluster) {
            guard let member = cluster.local.withLock({ $0.joined(connection.id, in: name) }) else {
                self.hub.reply(connection, ProtocolFailure(.forbidden, "join room \"\(name)\" first"), requestType: requestType)
                return
            }
            await body(member)
        }
    }

    func handleClusterMessage(_ connection: Connection, _ fields: FieldReader, _ cluster: ChatClusterState) throws(ProtocolFailure) {
        let name = try fields.roomName()
        let content = try messageContent(fields)
        try memberRequest(connection, name, "chat_message", cluster) { member in
            do throws(ProtocolFailure) {
                try self.takeToken(for: member.key)
            } catch {
                self.hub.reply(connection, error, requestType: "chat_message")
                return
            }
            let message = RoomMessage(room: name, seq: 0, sender: .user, author: member.user, content: content, sentAt: Date())
            await self.post(message, from: connection, cluster)
        }
    }

    /// Posts a member's message; starts answering the room when this node is to.
    private func post(_ message: RoomMessage, from connection: Connection, _ cluster: ChatClusterState) async {
        let draining = isDraining
        do {
            let wasTyping = cluster.local.withLock { local -> Bool in
                let typing = local.rooms[message.room]?.members[connection.id]?.typingUntil != nil
                local.rooms[message.room]?.members[connection.id]?.typingUntil = nil
                return typing
            }
            let outcome = try await cluster.ledger.post(
                template(for: message, clientID: connection.id.rawValue), queueForAgent: !draining,
                maxWaiting: options.maxPendingAnswers)
            switch outcome {
            case .done(let receipt):
                if wasTyping {
                    // Sending ends typing: the others stop showing the indicator at once.
                    try await cluster.ledger.setTyping(
                        false, clientID: connection.id.rawValue, user: message.author, in: message.room,
                        frame: ChatFrames.typing("typing_stop", room: message.room, clientID: connection.id.rawValue, user: message.author))
                }
                if receipt.startAnswering { startClusterAnswers(message.room) }
                if let waiting = receipt.queueFull {
                    hub.reply(
                        connection,
                        ProtocolFailure(
                            .serverBusy, "\(waiting) messages are waiting for the agent in room \"\(message.room)\"; this one will not be answered"),
                        requestType: "chat_message")
                }
                if draining, try await cluster.ledger.room(named: message.room)?.agent != nil {
                    hub.reply(
                        connection,
                        ProtocolFailure(.shuttingDown, "the server is shutting down; the agent will not answer this message here"),
                        requestType: "chat_message")
                }
            case .forbidden:
                hub.reply(connection, ProtocolFailure(.forbidden, "join room \"\(message.room)\" first"), requestType: "chat_message")
            default:
                hub.reply(connection, ProtocolFailure(.notFound, "no room \"\(message.room)\""), requestType: "chat_message")
            }
        } catch {
            replyUnavailable(connection, error, "chat_message")
        }
    }

    /// The ledger's template of `message`: its `chat_message` frame with the `seq` to fill in.
    func template(for message: RoomMessage, clientID: String?, stream: String? = nil, stopped: Bool = false) -> MessageTemplate {
        var numbered = message
        numbered.seq = SeqTemplate.marker
        // The frame writes `seq` before any text, so the marker is found where the encoder put it.
        let frame = SeqTemplate(splitting: ChatFrames.chatMessage(numbered, stream: stream, stopped: stopped).bytes)!
        return MessageTemplate(message: numbered, frame: frame, clientID: clientID, keepAtLeast: options.agentContextMessages)
    }

    /// Posts a message of the room's agent or of the room itself (nothing to answer).
    func postNotice(_ message: RoomMessage, stream: String? = nil, stopped: Bool = false, _ cluster: ChatClusterState) async throws {
        _ = try await cluster.ledger.post(
            template(for: message, clientID: nil, stream: stream, stopped: stopped), queueForAgent: false, maxWaiting: 0)
    }

    func handleClusterHistory(_ connection: Connection, _ fields: FieldReader, _ cluster: ChatClusterState) throws(ProtocolFailure) {
        let name = try fields.roomName()
        let before = try fields.optionalInt("before_seq", in: 1...Int.max)
        let limit = try fields.optionalInt("limit", in: 1...max(1, options.historyPageLimit)) ?? min(50, options.historyPageLimit)
        try memberRequest(connection, name, "get_history", cluster) { _ in
            do {
                // One more than the page, to learn whether older messages remain.
                let stored = try await self.store.history(ofRoom: name, beforeSeq: before, limit: limit + 1)
                let page = self.fitting(stored.suffix(limit))
                self.hub.send(
                    ChatFrames.history(room: name, messages: Array(page), hasMore: stored.count > page.count), to: connection)
            } catch {
                self.replyUnavailable(connection, error, "get_history")
            }
        }
    }

    // MARK: Typing

    func handleClusterTyping(_ connection: Connection, _ fields: FieldReader, typing: Bool, _ cluster: ChatClusterState) throws(ProtocolFailure) {
        let name = try fields.roomName()
        try memberRequest(connection, name, typing ? "typing_start" : "typing_stop", cluster) { member in
            let until = self.stopwatch.elapsed() + self.options.typingTimeout
            let changed = cluster.local.withLock { local -> Bool in
                guard var current = local.rooms[name]?.members[connection.id] else { return false }
                let wasTyping = current.typingUntil != nil
                current.typingUntil = typing ? until : nil
                local.rooms[name]!.members[connection.id] = current
                // Repeats only push the expiry back; the others hear starts and stops.
                return wasTyping != typing
            }
            guard changed else { return }
            if typing { self.typingWakeup.wake() }
            await self.publishTyping(typing, clientID: connection.id.rawValue, user: member.user, in: name, expired: false, cluster)
        }
    }

    func publishTyping(_ typing: Bool, clientID: String, user: String, in room: String, expired: Bool, _ cluster: ChatClusterState) async {
        do {
            let frame = ChatFrames.typing(typing ? "typing_start" : "typing_stop", room: room, clientID: clientID, user: user, expired: expired)
            try await cluster.ledger.setTyping(typing, clientID: clientID, user: user, in: room, frame: frame)
        } catch {
            logger.warning("typing not shared", metadata: ["room": "\(room)", "error": "\(error)"])
        }
    }

    /// Ends the typing indicators of this node's members that stopped sending `typing_start`;
    /// the next deadline, if any.
    func expireClusterTyping(_ cluster: ChatClusterState, now: Duration) -> Duration? {
        var next: Duration?
        let expired = cluster.local.withLock { local -> [(room: String, clientID: String, user: String)] in
            var expired: [(String, String, String)] = []
            for (name, room) in local.rooms {
                for (id, member) in room.members {
                    guard let deadline = member.typingUntil else { continue }
                    guard deadline <= now else {
                        next = min(next ?? deadline, deadline)
                        continue
                    }
                    local.rooms[name]!.members[id]!.typingUntil = nil
                    expired.append((name, id.rawValue, member.user))
                }
            }
            return expired
        }
        for item in expired {
            _ = workContinuation.yield(
                .task { await self.publishTyping(false, clientID: item.clientID, user: item.user, in: item.room, expired: true, cluster) })
        }
        return next
    }
}
