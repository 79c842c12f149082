import StreamingDomain
import Tracing

/// How an answer of a room's agent ended, as its `chat_answer` span records it.
protocol AnswerOutcome: Sendable {
    var spanEnd: SpanEnd { get }
}

extension ChatService {
    /// One answer of a room's agent, ready to run.
    struct AnswerJob: Sendable {
        let stream: String
        let agent: Agent
        let context: [ChatMessage]
        let stop: OneWaySignal
    }

    /// Puts a user message in the agent's queue, under the room's lock.
    /// - Returns: whether a task must start answering, and, when the queue was full, how
    ///   many messages were waiting (the message will not be answered).
    func queueAnswer(to message: RoomMessage, in state: inout ChatRoom.State) -> (start: Bool, full: Int?) {
        guard state.room.agent != nil else { return (false, nil) }
        if !state.answering {
            state.answering = true
            state.waiting.append(message.seq)
            return (true, nil)
        }
        // The oldest waiting message is the one being answered until the answer starts.
        let waiting = max(0, state.waiting.count - (state.live == nil ? 1 : 0))
        guard waiting < options.maxPendingAnswers else { return (false, waiting) }
        state.waiting.append(message.seq)
        return (false, nil)
    }

    /// Hands the room to ``run()`` to answer its waiting messages.
    func startAnswering(_ room: ChatRoom) {
        if case .terminated = workContinuation.yield(.answer(room)) {
            room.state.withLock { state in
                state.answering = false
                state.waiting.removeAll()
            }
        }
    }

    /// Answers the room's waiting messages one at a time, oldest first (a child task of ``run()``).
    func answerWaitingMessages(in room: ChatRoom) async {
        while let job = nextAnswer(in: room) {
            await withTaskGroup(of: Void.self) { group in
                // The run, and a watcher for `stop_stream`: whichever ends first cancels the
                // other, so a stop ends the run (and its model request) at once.
                group.addTask { await job.stop.wait() }
                group.addTask { await self.producedTraced(job, in: room) }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Takes the oldest waiting message and announces its answer (`agent_typing_start`);
    /// `nil`, and the room no longer answering, when none is left.
    private func nextAnswer(in room: ChatRoom) -> AnswerJob? {
        room.state.withLock { state -> AnswerJob? in
            while !Task.isCancelled, !state.isDeleted, let trigger = state.waiting.popFirst() {
                guard let name = state.room.agent, let agent = agentForAnswer(name, in: state.room) else {
                    logger.warning("room has no usable agent", metadata: ["room": "\(state.room.name)"])
                    state.waiting.removeAll()
                    break
                }
                // What the room said up to the message being answered, the most recent last.
                let said = state.recent.filter { $0.seq <= trigger && $0.sender != .system }
                guard said.last?.seq == trigger else { continue }  // Fell out of memory: too old to answer.
                let context = said.suffix(options.agentContextMessages).map { message -> ChatMessage in
                    message.sender == .agent ? .assistant(message.content) : .user("\(message.author): \(message.content)")
                }
                let stream = "c-" + ConnectionID.random().rawValue
                state.live = ChatRoom.LiveAnswer(stream: stream, agent: name, stop: OneWaySignal())
                state.broadcast(ChatFrames.agentTypingStart(room: state.room.name, agent: name, stream: stream), through: hub)
                return AnswerJob(stream: stream, agent: agent, context: context, stop: state.live!.stop)
            }
            state.waiting.removeAll()
            state.answering = false
            return nil
        }
    }

    /// The agent `name` as it runs in `room`: its handoffs are the room's other agents
    /// (theirs in turn too), whatever handoffs it was registered with, so every transfer
    /// lands on an agent of the room.
    func agentForAnswer(_ name: String, in room: Room) -> Agent? {
        guard var agent = agents[name] else { return nil }
        func others(of name: String) -> [Agent] {
            room.specialists.filter { $0 != name }.compactMap { agents[$0] }
        }
        agent.handoffs = others(of: name).map { target in
            var target = target
            target.handoffs = others(of: target.name).map { next in
                var next = next
                next.handoffs = []
                return next
            }
            return target
        }
        return agent
    }

    private enum Outcome: AnswerOutcome {
        case completed(finalOutput: String)
        case stopped
        case failed(ProtocolFailure)

        var spanEnd: SpanEnd {
            switch self {
            case .completed: .completed
            case .stopped: .incomplete("stopped")
            case .failed(let failure): .failed(failure)
            }
        }
    }

    /// ``produce(_:in:)`` inside a `chat_answer <agent>` span when tracing, parent of the run's spans.
    private func producedTraced(_ job: AnswerJob, in room: ChatRoom) async {
        _ = await withAnswerSpan(agent: job.agent.name, room: room.name, stream: job.stream) { await produce(job, in: room) }
    }

    /// Runs `body` (an answer of the room's agent) inside a `chat_answer <agent>` span when a
    /// tracer is bootstrapped, so the span parents the run's spans, and records how the answer
    /// ended on it: a failed answer's error, an error status for a stopped one. Without a
    /// tracer, just runs it.
    func withAnswerSpan<Result: AnswerOutcome>(
        agent: String, room: String, stream: String, _ body: () async -> Result
    ) async -> Result {
        guard let tracer = Traces.tracer(runner.tracer) else { return await body() }
        return await tracer.withSpan("chat_answer \(agent)", ofKind: .server) { span in
            span.attributes["raaf.room"] = room
            span.attributes["raaf.stream.id"] = stream
            span.attributes["gen_ai.agent.name"] = agent
            let outcome = await body()
            outcome.spanEnd.record(on: span)
            return outcome
        }
    }

    /// Runs the agent, streaming its events to the room, and posts the answer; returns how it ended.
    private func produce(_ job: AnswerJob, in room: ChatRoom) async -> Outcome {
        var outcome: Outcome
        do {
            var finalOutput = ""
            for try await event in runner.stream(job.agent, messages: job.context) {
                if case .complete(let result) = event.kind {
                    finalOutput = result.finalOutput
                } else {
                    apply(event, of: job, in: room)
                }
            }
            outcome = .completed(finalOutput: finalOutput)
        } catch {
            let failure = AgentStreamService.failure(for: error, streamID: job.stream)
            if failure.code == .cancelled, drainStopped.load(ordering: .relaxed) {
                outcome = .failed(
                    ProtocolFailure(.shuttingDown, "the server is shutting down: the answer was stopped", streamID: job.stream))
            } else if failure.code == .cancelled {
                outcome = .stopped
            } else {
                logger.warning("agent answer failed", metadata: ["room": "\(room.name)", "error": "\(error)"])
                outcome = .failed(failure)
            }
        }
        finish(job, outcome, in: room)
        return outcome
    }

    /// Sends one event of the answer to every member.
    ///
    /// The answer so far is changed in place (`state.live!`), never through a copy: a copy
    /// would make each append copy the whole text, quadratic in the answer's length.
    private func apply(_ event: StreamEvent, of job: AnswerJob, in room: ChatRoom) {
        room.state.withLock { state in
            guard let stream = state.live?.stream, stream == job.stream else { return }
            let name = state.room.name
            switch event.kind {
            case .content(let text):
                state.live!.chunks += 1
                state.live!.content += text
                let (seq, agent) = (state.live!.chunks, state.live!.agent)
                state.broadcast(
                    ChatFrames.responseChunk(room: name, stream: stream, seq: seq, agent: agent, content: text),
                    through: hub)
            case .toolCall(let call, let agent):
                state.broadcast(ChatFrames.toolCall(room: name, stream: stream, agent: agent, call: call), through: hub)
            case .toolOutput(let output):
                state.broadcast(ChatFrames.toolOutput(room: name, stream: stream, output: output), through: hub)
            case .handoff(let handoff):
                state.live!.agent = handoff.to
                handOff(in: &state, from: handoff.from, to: handoff.to, reason: handoff.reason, requestedBy: nil)
            case .complete:
                break
            }
        }
    }

    /// Ends the answer: `agent_typing_stop`, then the answer as the agent's `chat_message`
    /// (the partial text, marked `stopped`, when it was stopped or failed: nothing said vanishes).
    private func finish(_ job: AnswerJob, _ outcome: Outcome, in room: ChatRoom) {
        room.state.withLock { state in
            guard let live = state.live, live.stream == job.stream else { return }
            state.live = nil
            guard !state.isDeleted else { return }
            let content: String
            let stopped: Bool
            var failure: ProtocolFailure?
            switch outcome {
            case .completed(let finalOutput):
                content = live.content.isEmpty ? finalOutput : live.content
                stopped = false
            case .stopped:
                content = live.content
                stopped = true
            case .failed(let error):
                content = live.content
                stopped = true
                failure = error
            }
            state.broadcast(
                ChatFrames.agentTypingStop(
                    room: state.room.name, agent: live.agent, stream: live.stream, stopped: stopped, error: failure),
                through: hub)
            guard !content.isEmpty else { return }
            // Never refused: only user messages count against the write queue's bound.
            _ = try? post(in: &state, sender: .agent, author: live.agent, content: content, stream: live.stream, stopped: stopped)
        }
    }

    /// Makes `to` the room's agent, saves the room and tells every member, under the room's lock.
    func handOff(in state: inout ChatRoom.State, from: String?, to: String, reason: String?, requestedBy: String?) {
        state.room.agent = to
        if !state.room.specialists.contains(to) { state.room.specialists.append(to) }
        enqueue(.save(state.room))
        state.broadcast(
            ChatFrames.agentHandoff(room: state.room.name, from: from, to: to, reason: reason, requestedBy: requestedBy),
            through: hub)
        var notice = requestedBy.map { "\($0) handed the conversation to \(to)" }
            ?? "\(from ?? "nobody") handed the conversation to \(to)"
        if let reason, !reason.isEmpty { notice += ": \(reason)" }
        _ = try? post(in: &state, sender: .system, author: "system", content: notice)
    }

    // MARK: Requests

    func handleStopStream(_ connection: Connection, _ fields: FieldReader) throws(ProtocolFailure) {
        let name = try fields.roomName()
        let room = try room(named: name)
        try room.state.withLock { state throws(ProtocolFailure) in
            _ = try Self.member(connection, of: state)
            guard let live = state.live else {
                throw ProtocolFailure(.notFound, "no answer is streaming in room \"\(name)\"")
            }
            // The answer's task ends the run and sends `agent_typing_stop` with `stopped: true`.
            live.stop.set()
        }
    }

    func handleHandoffRequest(_ connection: Connection, _ fields: FieldReader) throws(ProtocolFailure) {
        let name = try fields.roomName()
        let agent = try fields.agentName()
        let reason = try fields.optionalString("reason")
        let room = try room(named: name)
        try room.state.withLock { state throws(ProtocolFailure) in
            let member = try Self.member(connection, of: state)
            guard agents[agent] != nil, state.room.specialists.contains(agent) else {
                throw ProtocolFailure(.notFound, "room \"\(name)\" has no agent \"\(agent)\"; add it with add_agent")
            }
            guard state.room.agent != agent else {
                throw ProtocolFailure(.invalidMessage, "\"\(agent)\" is already the agent of room \"\(name)\"")
            }
            // An answer streaming now finishes with its agent; the next one comes from `agent`.
            handOff(in: &state, from: state.room.agent, to: agent, reason: reason, requestedBy: member.user)
        }
    }

    func handleAddAgent(_ connection: Connection, _ fields: FieldReader) throws(ProtocolFailure) {
        let name = try fields.roomName()
        let agent = try fields.agentName()
        guard agents[agent] != nil else { throw ProtocolFailure(.notFound, "no agent named \"\(agent)\"") }
        let room = try room(named: name)
        try room.state.withLock { state throws(ProtocolFailure) in
            _ = try Self.member(connection, of: state)
            guard !state.room.specialists.contains(agent) else {
                // Already there: tell the asker, nobody else.
                hub.send(ChatFrames.agentAdded(room: name, agent: agent, current: state.room.agent), to: connection)
                return
            }
            state.room.specialists.append(agent)
            // A room of people gets its first agent: it answers from now on.
            if state.room.agent == nil { state.room.agent = agent }
            enqueue(.save(state.room))
            state.broadcast(ChatFrames.agentAdded(room: name, agent: agent, current: state.room.agent), through: hub)
        }
    }
}
