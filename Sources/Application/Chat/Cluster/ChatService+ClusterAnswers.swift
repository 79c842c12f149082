#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StreamingDomain

/// Answers in a cluster: the ledger queues a room's messages and names the one node that
/// answers them, one at a time in message order; each chunk goes through the ledger, which
/// publishes it to every node and keeps the answer so far for members who join mid-answer.
extension ChatService {
    private enum ClusterOutcome: AnswerOutcome {
        case completed(finalOutput: String)
        case stopped
        case failed(ProtocolFailure)
        /// The answer is no longer the room's (the room was deleted, or this node was declared
        /// lost and another ended it): nothing more is said.
        case gone

        var spanEnd: SpanEnd {
            switch self {
            case .completed: .completed
            case .stopped: .incomplete("stopped")
            case .gone: .incomplete("gone")
            case .failed(let failure): .failed(failure)
            }
        }
    }

    /// Runs the room's answer loop here, or asks the running loop to look again.
    func startClusterAnswers(_ room: String) {
        guard let cluster else { return }
        let start = cluster.local.withLock { local -> Bool in
            if local.rooms[room]?.answering == true {
                local.rooms[room]!.answerAgain = true
                return false
            }
            local.rooms[room, default: LocalRooms.Room()].answering = true
            return true
        }
        if start, case .terminated = workContinuation.yield(.clusterAnswer(room)) {
            cluster.local.withLock { $0.rooms[room]?.answering = false }
        }
    }

    /// Answers the room's waiting messages while the ledger names this node (a child task of ``run()``).
    func answerClusterRoom(_ name: String) async {
        guard let cluster else { return }
        _ = cluster.local.withLock { $0.retain(name) }
        do {
            try await cluster.ledger.listen(to: name)
        } catch {
            logger.warning("stop requests of room not received", metadata: ["room": "\(name)", "error": "\(error)"])
        }
        var failures = 0
        // A draining node starts no answer: the rooms go to other nodes when it leaves.
        while !Task.isCancelled, !isDraining {
            let stream = "c-" + ConnectionID.random().rawValue
            let ticket: AnswerTicket?
            do {
                ticket = try await cluster.ledger.nextAnswer(in: name, stream: stream, context: options.agentContextMessages * 2 + 8)
                failures = 0
            } catch {
                failures += 1
                logger.warning("chat ledger failed; the room's answers wait", metadata: ["room": "\(name)", "error": "\(error)"])
                try? await stopwatch.sleep(Self.backoff(attempt: failures))
                continue
            }
            if let ticket {
                await answer(ticket, stream: stream, cluster)
                continue
            }
            // Nothing waited: stop, unless a message came in meanwhile that made this node answer again.
            let again = cluster.local.withLock { local -> Bool in
                guard local.rooms[name]?.answerAgain == true else {
                    local.rooms[name]?.answering = false
                    return false
                }
                local.rooms[name]!.answerAgain = false
                return true
            }
            if !again { break }
        }
        let stop = cluster.local.withLock { local -> Bool in
            local.rooms[name]?.answering = false
            return local.release(name)
        }
        if stop { cluster.ledger.stopListening(to: name) }
    }

    private func answer(_ ticket: AnswerTicket, stream: String, _ cluster: ChatClusterState) async {
        let name = ticket.room.name
        guard let agentName = ticket.room.agent, let agent = agentForAnswer(agentName, in: ticket.room) else {
            logger.warning("room has no usable agent", metadata: ["room": "\(name)"])
            _ = try? await cluster.ledger.endAnswer(stream, in: name)
            return
        }
        let stop = OneWaySignal()
        cluster.local.withLock { $0.rooms[name]?.live = LocalRooms.Answer(stream: stream, stop: stop) }
        if isDraining || directory.withLock({ $0.isShutDown }) { stop.set() }
        let context = ticket.context.filter { $0.sender != .system && $0.seq <= ticket.trigger }
            .suffix(options.agentContextMessages)
            .map { message -> ChatMessage in
                message.sender == .agent ? .assistant(message.content) : .user("\(message.author): \(message.content)")
            }
        var outcome: ClusterOutcome
        do {
            guard
                try await cluster.ledger.publishAnswerFrame(
                    ChatFrames.agentTypingStart(room: name, agent: agentName, stream: stream), of: stream, in: name)
            else {
                cluster.local.withLock { $0.rooms[name]?.live = nil }
                return
            }
            outcome = await withTaskGroup(of: ClusterOutcome?.self) { group in
                // The run, and a watcher for `stop_stream`: a stop cancels the run (and its model request).
                group.addTask {
                    await stop.wait()
                    return nil
                }
                group.addTask {
                    await self.withAnswerSpan(agent: agent.name, room: name, stream: stream) {
                        await self.produce(agent, context: context, stream: stream, in: name, cluster)
                    }
                }
                var result: ClusterOutcome?
                while let next = await group.next() {
                    group.cancelAll()
                    if let next {
                        result = next
                        break
                    }
                }
                return result ?? .stopped
            }
        } catch {
            outcome = .failed(ProtocolFailure(.clusterUnavailable, "the cluster's chat store cannot be reached", streamID: stream))
        }
        cluster.local.withLock { $0.rooms[name]?.live = nil }
        if case .gone = outcome { return }
        await end(stream, in: name, outcome, cluster)
    }

    /// Runs the agent, sending each event through the ledger.
    private func produce(_ agent: Agent, context: [ChatMessage], stream: String, in room: String, _ cluster: ChatClusterState) async
        -> ClusterOutcome
    {
        var speaking = agent.name
        do {
            var finalOutput = ""
            for try await event in runner.stream(agent, messages: context) {
                try Task.checkCancellation()
                switch event.kind {
                case .complete(let result):
                    finalOutput = result.finalOutput
                case .content(let text):
                    let frame = SeqTemplate(
                        splitting: ChatFrames.responseChunk(room: room, stream: stream, seq: SeqTemplate.marker, agent: speaking, content: text).bytes)!
                    guard try await cluster.ledger.appendChunk(text, to: stream, in: room, frame: frame) != nil else { return .gone }
                case .toolCall(let call, let agent):
                    let frame = ChatFrames.toolCall(room: room, stream: stream, agent: agent, call: call)
                    guard try await cluster.ledger.publishAnswerFrame(frame, of: stream, in: room) else { return .gone }
                case .toolOutput(let output):
                    let frame = ChatFrames.toolOutput(room: room, stream: stream, output: output)
                    guard try await cluster.ledger.publishAnswerFrame(frame, of: stream, in: room) else { return .gone }
                case .handoff(let handoff):
                    speaking = handoff.to
                    try await cluster.ledger.setAnswerAgent(handoff.to, of: stream, in: room)
                    try await handOffInLedger(room, from: handoff.from, to: handoff.to, reason: handoff.reason, requestedBy: nil, cluster)
                }
            }
            return .completed(finalOutput: finalOutput)
        } catch let error as StreamingError where Self.isLedgerFailure(error) {
            logger.warning("chat ledger failed during an answer", metadata: ["room": "\(room)", "error": "\(error)"])
            return .failed(ProtocolFailure(.clusterUnavailable, "the cluster's chat store cannot be reached", streamID: stream))
        } catch {
            let failure = AgentStreamService.failure(for: error, streamID: stream)
            if failure.code == .cancelled, drainStopped.load(ordering: .relaxed) {
                return .failed(ProtocolFailure(.shuttingDown, "the server is shutting down: the answer was stopped", streamID: stream))
            }
            if failure.code == .cancelled { return .stopped }
            logger.warning("agent answer failed", metadata: ["room": "\(room)", "error": "\(error)"])
            return .failed(failure)
        }
    }

    private static func isLedgerFailure(_ error: StreamingError) -> Bool {
        switch error {
        case .connection, .protocol: true
        default: false
        }
    }

    /// Ends the answer in the ledger: `agent_typing_stop`, then the answer as the agent's message.
    private func end(_ stream: String, in room: String, _ outcome: ClusterOutcome, _ cluster: ChatClusterState) async {
        do {
            guard let live = try await cluster.ledger.endAnswer(stream, in: room) else { return }
            let content: String
            var stopped = true
            var failure: ProtocolFailure?
            switch outcome {
            case .completed(let finalOutput):
                content = live.content.isEmpty ? finalOutput : live.content
                stopped = false
            case .failed(let error):
                content = live.content
                failure = error
            case .stopped, .gone:
                content = live.content
            }
            try await finishInLedger(room, live: live, content: content, stopped: stopped, error: failure, cluster)
        } catch {
            logger.error("the end of an answer was not shared", metadata: ["room": "\(room)", "error": "\(error)"])
        }
    }

    /// Publishes `agent_typing_stop` and posts what the answer said (nothing said vanishes).
    func finishInLedger(
        _ room: String, live: LiveAnswerState, content: String, stopped: Bool, error: ProtocolFailure?, _ cluster: ChatClusterState
    ) async throws {
        try await cluster.ledger.publish(
            ChatFrames.agentTypingStop(room: room, agent: live.agent, stream: live.stream, stopped: stopped, error: error),
            in: room, except: nil)
        guard !content.isEmpty else { return }
        let message = RoomMessage(room: room, seq: 0, sender: .agent, author: live.agent, content: content, sentAt: Date())
        try await postNotice(message, stream: live.stream, stopped: stopped, cluster)
    }

    /// Makes `to` the room's agent in the ledger and tells every member.
    private func handOffInLedger(
        _ room: String, from: String?, to: String, reason: String?, requestedBy: String?, _ cluster: ChatClusterState
    ) async throws {
        guard case .done = try await cluster.ledger.handOff(room, to: to, requireSpecialist: false) else { return }
        try await announceHandoff(room, from: from, to: to, reason: reason, requestedBy: requestedBy, cluster)
    }

    private func announceHandoff(
        _ room: String, from: String?, to: String, reason: String?, requestedBy: String?, _ cluster: ChatClusterState
    ) async throws {
        try await cluster.ledger.publish(
            ChatFrames.agentHandoff(room: room, from: from, to: to, reason: reason, requestedBy: requestedBy), in: room, except: nil)
        var notice = requestedBy.map { "\($0) handed the conversation to \(to)" } ?? "\(from ?? "nobody") handed the conversation to \(to)"
        if let reason, !reason.isEmpty { notice += ": \(reason)" }
        try await postNotice(RoomMessage(room: room, seq: 0, sender: .system, author: "system", content: notice, sentAt: Date()), cluster)
    }

    // MARK: Requests

    func handleClusterStop(_ connection: Connection, _ fields: FieldReader, _ cluster: ChatClusterState) throws(ProtocolFailure) {
        let name = try fields.roomName()
        try memberRequest(connection, name, "stop_stream", cluster) { _ in
            do {
                if try await !cluster.ledger.requestStop(in: name) {
                    self.hub.reply(
                        connection, ProtocolFailure(.notFound, "no answer is streaming in room \"\(name)\""), requestType: "stop_stream")
                }
            } catch {
                self.replyUnavailable(connection, error, "stop_stream")
            }
        }
    }

    func handleClusterHandoff(_ connection: Connection, _ fields: FieldReader, _ cluster: ChatClusterState) throws(ProtocolFailure) {
        let name = try fields.roomName()
        let agent = try fields.agentName()
        let reason = try fields.optionalString("reason")
        guard agents[agent] != nil else {
            throw ProtocolFailure(.notFound, "room \"\(name)\" has no agent \"\(agent)\"; add it with add_agent")
        }
        try memberRequest(connection, name, "handoff_request", cluster) { member in
            do {
                switch try await cluster.ledger.handOff(name, to: agent, requireSpecialist: true) {
                case .done(let previous):
                    // An answer streaming now finishes with its agent; the next one comes from `agent`.
                    try await self.announceHandoff(name, from: previous, to: agent, reason: reason, requestedBy: member.user, cluster)
                case .exists:
                    self.hub.reply(
                        connection, ProtocolFailure(.invalidMessage, "\"\(agent)\" is already the agent of room \"\(name)\""),
                        requestType: "handoff_request")
                default:
                    self.hub.reply(
                        connection, ProtocolFailure(.notFound, "room \"\(name)\" has no agent \"\(agent)\"; add it with add_agent"),
                        requestType: "handoff_request")
                }
            } catch {
                self.replyUnavailable(connection, error, "handoff_request")
            }
        }
    }

    func handleClusterAddAgent(_ connection: Connection, _ fields: FieldReader, _ cluster: ChatClusterState) throws(ProtocolFailure) {
        let name = try fields.roomName()
        let agent = try fields.agentName()
        guard agents[agent] != nil else { throw ProtocolFailure(.notFound, "no agent named \"\(agent)\"") }
        try memberRequest(connection, name, "add_agent", cluster) { _ in
            do {
                switch try await cluster.ledger.addAgent(agent, to: name) {
                case .done(let room):
                    try await cluster.ledger.publish(
                        ChatFrames.agentAdded(room: name, agent: agent, current: room.agent), in: name, except: nil)
                case .exists:
                    // Already there: tell the asker, nobody else.
                    let current = try await cluster.ledger.room(named: name)?.agent
                    self.hub.send(ChatFrames.agentAdded(room: name, agent: agent, current: current), to: connection)
                default:
                    self.hub.reply(connection, ProtocolFailure(.notFound, "no room \"\(name)\""), requestType: "add_agent")
                }
            } catch {
                self.replyUnavailable(connection, error, "add_agent")
            }
        }
    }
}
