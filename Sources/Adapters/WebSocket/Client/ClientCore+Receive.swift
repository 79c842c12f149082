import StreamingApplication
import StreamingDomain

extension ClientCore {
    /// Handles one frame from the server: settles replies, feeds agent streams in `seq`
    /// order, and passes on everything the client does not consume itself.
    mutating func receive(_ message: ServerMessage, _ effects: inout [ClientEffect]) {
        switch message {
        case .connected(let id, let identity, _):
            clientID = id
            if let identity { self.identity = identity }
            effects.append(.connected(clientID: id))
        case .subscribed(let channel):
            if settle(.success(nil), &effects, where: { $0 == .subscribe(channel) }) == nil {
                effects.append(.message(message))
            }
        case .unsubscribed(let channel):
            if settle(.success(nil), &effects, where: { $0 == .unsubscribe(channel) }) == nil {
                effects.append(.message(message))
            }
        case .authenticated(let identity):
            self.identity = identity
            if settle(.success(identity), &effects, where: { $0 == .auth }) == nil {
                effects.append(.message(message))
            }
        case .missed:
            // Frames were dropped: any stream may have lost some, including its last one,
            // which no later frame would reveal. Ask for every stream's replay.
            for id in streamOrder { resume(id, force: true, &effects) }
            effects.append(.message(message))
        case .resumed(let id, _, _, _):
            if streams[id] != nil {
                streams[id]!.resumeInFlight = false
            } else {
                effects.append(.message(message))
            }
        case .streamEvent(let event):
            receive(event, &effects)
        case .error(let frame):
            receive(frame, &effects)
        case .message, .pong, .other:
            effects.append(.message(message))
        }
    }

    private mutating func receive(_ event: AgentStreamEvent, _ effects: inout [ClientEffect]) {
        let id = event.streamID
        guard streams[id] != nil else {
            effects.append(.message(.streamEvent(event)))
            return
        }
        if streams[id]!.paused || streams[id]!.buffered >= maxBufferedEvents {
            // The consumer is behind: drop the frame, the resume after the drain replays it.
            if !streams[id]!.paused { bufferPauses += 1 }
            streams[id]!.paused = true
            return
        }
        switch streams[id]!.sequencer.accept(event.seq) {
        case .duplicate:
            break
        case .gap:
            resume(id, force: false, &effects)
        case .deliver:
            let continuation = streams[id]!.continuation
            streams[id]!.buffered += 1
            bufferHighWaterMark = max(bufferHighWaterMark, streams[id]!.buffered)
            effects.append(.deliver(continuation, event))
            if event.isComplete {
                removeStream(id)
                effects.append(.finish(continuation, nil))
            }
        }
    }

    private mutating func receive(_ frame: ErrorFrame, _ effects: inout [ClientEffect]) {
        if let id = frame.streamID, streams[id] != nil {
            streamFailed(id, frame, &effects)
            return
        }
        guard let requestType = frame.requestType else {
            effects.append(.message(.error(frame)))
            return
        }
        switch requestType {
        case "auth":
            // A refused token is not sent again after the reconnect the server forces.
            token = nil
            if settle(.failure(frame.streamingError), &effects, where: { $0 == .auth }) == nil {
                effects.append(.message(.error(frame)))
            }
        case "subscribe", "unsubscribe":
            // The server answers in order: the refusal is for the oldest request of its type.
            switch settle(.failure(frame.streamingError), &effects, where: { $0.requestType == requestType }) {
            case .subscribe(let channel):
                // A refused subscription is not renewed after reconnects.
                channels.removeAll { $0 == channel }
            case .unsubscribe, .auth:
                break
            case nil:
                effects.append(.message(.error(frame)))
            }
        case "agent_stream", "resume":
            // Refused before the server knew the stream's id (authentication, for example):
            // the server answers in order, so it is the oldest stream still waiting for a frame.
            let waiting = streamOrder.first { streams[$0]?.started == true && streams[$0]?.sequencer.lastDelivered == 0 }
            if let id = waiting {
                finish(id, frame.streamingError, &effects)
            } else {
                effects.append(.message(.error(frame)))
            }
        default:
            effects.append(.message(.error(frame)))
        }
    }

    private mutating func streamFailed(_ id: String, _ frame: ErrorFrame, _ effects: inout [ClientEffect]) {
        if let seq = frame.seq {
            // Dropped while paused, like the frames before it; the resume replays it.
            if streams[id]!.paused { return }
            // The stream's last frame: in order like the others.
            switch streams[id]!.sequencer.accept(seq) {
            case .duplicate: return
            case .gap:
                resume(id, force: false, &effects)
                return
            case .deliver:
                finish(id, frame.streamingError, &effects)
                return
            }
        }
        let tracker = streams[id]!
        if frame.code == "not_found", tracker.resumeInFlight, tracker.sequencer.lastDelivered == 0, !tracker.restarted {
            // The connection dropped right after `agent_stream` was written: the server never
            // saw it, so there is nothing to resume. Start it (once) instead.
            streams[id]!.restarted = true
            streams[id]!.resumeInFlight = false
            streams[id]!.started = false
            enqueueControl(.startStream(id), &effects)
            return
        }
        finish(id, frame.streamingError, &effects)
    }

    private mutating func finish(_ id: String, _ error: StreamingError, _ effects: inout [ClientEffect]) {
        guard let tracker = removeStream(id) else { return }
        effects.append(.finish(tracker.continuation, error))
    }
}
