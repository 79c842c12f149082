import StreamingApplication
import StreamingDomain

typealias EventContinuation = AsyncThrowingStream<AgentStreamEvent, any Error>.Continuation
typealias ReplyContinuation = CheckedContinuation<String?, any Error>

/// Something the client does once its lock is released: resuming a waiting caller,
/// handing an event to a stream's consumer, waking the writer, calling a callback.
enum ClientEffect: Sendable {
    case resumeRequest(ReplyContinuation, Result<String?, StreamingError>)
    case deliver(EventContinuation, AgentStreamEvent)
    case finish(EventContinuation, StreamingError?)
    case wakeWriter(AsyncStream<Void>.Continuation)
    case connected(clientID: String)
    case message(ServerMessage)
}

/// One agent stream the client follows for a consumer.
struct StreamTracker: Sendable {
    let id: String
    let agent: String
    let input: String
    let continuation: EventContinuation
    var sequencer = StreamSequencer()
    /// Whether `agent_stream` was written on some connection (so the server may know it).
    var started = false
    /// Whether a `resume` was sent and its `resumed` notice has not arrived yet.
    var resumeInFlight = false
    /// Whether the stream was started again after the server did not know it on resume.
    var restarted = false
    /// Events handed to the consumer's buffer and not read yet (an upper bound: an event
    /// counts from the moment it is decided, before it is yielded).
    var buffered = 0
    /// Whether the buffer filled up: frames are dropped until the consumer drains it, then
    /// a `resume` after the last buffered `seq` fetches them again.
    var paused = false
}

/// The client's whole state, with no I/O: what is subscribed, queued, awaited and streamed,
/// and how each server frame and connection change moves it.
///
/// ``WebSocketClient`` keeps one in a `Mutex`; every method returns the ``ClientEffect``s to
/// perform after the lock is released, so no callback or continuation runs under the lock.
struct ClientCore: Sendable {
    enum Phase: Sendable {
        /// `run()` has not started; requests are queued.
        case idle
        case running
        /// `close()` was called; the writer flushes and closes.
        case closing
        /// Over: every later call throws `error`.
        case closed(StreamingError)
    }

    struct Session: Sendable {
        let number: Int
        let wake: AsyncStream<Void>.Continuation
    }

    var phase = Phase.idle
    /// Whether `close()` (or cancelling `run()`) ended the client, rather than giving up.
    var closedByUser = false
    /// The open connection, if any.
    var session: Session?
    var sessionCount = 0
    var clientID: String?
    var identity: String?
    var token: String?
    /// The channels to be subscribed to, in the order they were asked for.
    var channels: [String] = []
    /// Client-made requests (handshake, resume, cancel), written before the outbox.
    var control: [Outgoing] = []
    /// The user's messages, bounded.
    var outbox: BoundedQueue<Outgoing>
    var requests: [PendingRequest] = []
    var nextRequestID = 0
    var streams: [String: StreamTracker] = [:]
    var streamOrder: [String] = []
    /// The most unread events held per agent stream.
    let maxBufferedEvents: Int
    /// The most unread events any stream has held at once (for tests and diagnostics).
    var bufferHighWaterMark = 0
    /// How many times a stream's buffer filled up and its frames were dropped for a later resume.
    var bufferPauses = 0

    init(maxQueuedMessages: Int, token: String?, maxBufferedEvents: Int = 1024) {
        self.outbox = BoundedQueue(capacity: maxQueuedMessages)
        self.token = token
        self.maxBufferedEvents = max(1, maxBufferedEvents)
    }

    var isClosing: Bool {
        switch phase {
        case .closing, .closed: true
        case .idle, .running: false
        }
    }

    /// Throws when the client is closed, or closing.
    func checkOpen() throws(StreamingError) {
        switch phase {
        case .idle, .running: return
        case .closing: throw .connection("the client is closing")
        case .closed(let error): throw error
        }
    }

    // MARK: Sending

    /// Queues a user message; throws `queueFull` instead of growing past the capacity.
    mutating func enqueue(_ item: Outgoing, _ effects: inout [ClientEffect]) throws(StreamingError) {
        guard outbox.append(item) else { throw .queueFull(capacity: outbox.capacity) }
        wakeWriter(&effects)
    }

    /// Queues a message the client itself needs (resume, cancel), ahead of the outbox.
    mutating func enqueueControl(_ item: Outgoing, _ effects: inout [ClientEffect]) {
        control.append(item)
        wakeWriter(&effects)
    }

    func wakeWriter(_ effects: inout [ClientEffect]) {
        if let session { effects.append(.wakeWriter(session.wake)) }
    }

    /// Queues user text (`publish`, custom messages).
    mutating func send(_ text: String, _ effects: inout [ClientEffect]) throws(StreamingError) {
        try checkOpen()
        try enqueue(.text(text), &effects)
    }

    /// Takes the next frame to write, rendered from the current state.
    mutating func nextFrame() -> (item: Outgoing, text: String)? {
        while true {
            let item: Outgoing
            if !control.isEmpty {
                item = control.removeFirst()
            } else if let next = outbox.popFirst() {
                item = next
            } else {
                return nil
            }
            if let text = render(item) { return (item, text) }
        }
    }

    private mutating func render(_ item: Outgoing) -> String? {
        switch item {
        case .text(let text): return text
        case .auth: return token.map(ClientFrame.auth(token:))
        case .subscribe(let channel): return ClientFrame.subscribe(channel)
        case .unsubscribe(let channel): return ClientFrame.unsubscribe(channel)
        case .cancel(let id): return ClientFrame.cancel(id: id)
        case .startStream(let id):
            guard let tracker = streams[id], !tracker.started else { return nil }
            streams[id]!.started = true
            return ClientFrame.agentStream(id: id, agent: tracker.agent, input: tracker.input)
        case .resume(let id):
            guard let tracker = streams[id], tracker.started else { return nil }
            streams[id]!.resumeInFlight = true
            return ClientFrame.resume(id: id, afterSeq: tracker.sequencer.lastDelivered)
        }
    }

    /// Puts back a message whose write failed, so the next connection sends it.
    mutating func unsend(_ item: Outgoing) {
        switch item {
        case .text: outbox.pushFront(item)
        case .cancel: control.insert(item, at: 0)
        case .startStream(let id): streams[id]?.started = false
        case .auth, .subscribe, .unsubscribe, .resume: break  // regenerated by the next handshake
        }
    }

    // MARK: Agent streams

    mutating func startStream(
        id: String, agent: String, input: String, continuation: EventContinuation, _ effects: inout [ClientEffect]
    ) throws(StreamingError) {
        try checkOpen()
        guard streams[id] == nil else { throw .invalidInput("stream id \"\(id)\" is in use") }
        // Offline, the next connection's handshake starts it.
        if session != nil { try enqueue(.startStream(id), &effects) }
        streams[id] = StreamTracker(id: id, agent: agent, input: input, continuation: continuation)
        streamOrder.append(id)
    }

    /// The consumer stopped iterating: forget the stream, and cancel it if the server knows it.
    mutating func abandonStream(_ id: String, _ effects: inout [ClientEffect]) {
        guard let tracker = removeStream(id) else { return }
        if tracker.started, !isClosing { enqueueControl(.cancel(id), &effects) }
    }

    @discardableResult
    mutating func removeStream(_ id: String) -> StreamTracker? {
        guard let tracker = streams.removeValue(forKey: id) else { return nil }
        streamOrder.removeAll { $0 == id }
        return tracker
    }

    /// The consumer of stream `id` read one event: once a paused stream's buffer is down to
    /// half, ask for the frames dropped meanwhile.
    mutating func consumed(_ id: String, _ effects: inout [ClientEffect]) {
        guard streams[id] != nil else { return }
        streams[id]!.buffered = max(0, streams[id]!.buffered - 1)
        guard streams[id]!.paused, streams[id]!.buffered <= maxBufferedEvents / 2 else { return }
        streams[id]!.paused = false
        // Offline, the next connection's handshake resumes it.
        if session != nil { resume(id, force: true, &effects) }
    }

    /// Asks for a replay of stream `id` after its last delivered frame, unless one is coming.
    mutating func resume(_ id: String, force: Bool, _ effects: inout [ClientEffect]) {
        guard let tracker = streams[id], tracker.started, force || !tracker.resumeInFlight else { return }
        streams[id]!.resumeInFlight = true
        enqueueControl(.resume(id), &effects)
    }

    // MARK: Connections

    /// A connection opened: queue the handshake (auth, subscriptions, streams) ahead of everything.
    mutating func opened(wake: AsyncStream<Void>.Continuation, _ effects: inout [ClientEffect]) {
        sessionCount += 1
        session = Session(number: sessionCount, wake: wake)
        var handshake: [Outgoing] = []
        if token != nil { handshake.append(.auth) }
        handshake += channels.map(Outgoing.subscribe)
        for id in streamOrder {
            // A paused stream resumes once its consumer has drained the buffer.
            guard let tracker = streams[id], !tracker.paused else { continue }
            handshake.append(tracker.started ? .resume(id) : .startStream(id))
        }
        control = handshake + control
        effects.append(.wakeWriter(wake))
    }

    /// The connection ended: forget what the next handshake will redo.
    mutating func lost(_ effects: inout [ClientEffect]) {
        session = nil
        clientID = nil
        control.removeAll { !$0.survivesReconnect }
        outbox.removeAll { !$0.survivesReconnect }
        for id in streamOrder { streams[id]?.resumeInFlight = false }
        // The next connection starts with no subscriptions: an unsubscribe has nothing left to undo.
        while settle(.success(nil), &effects, where: { if case .unsubscribe = $0 { true } else { false } }) != nil {}
    }

    /// `run()` started; returns `false` when `close()` came first, so there is nothing to run.
    mutating func startRunning() throws(StreamingError) -> Bool {
        switch phase {
        case .idle:
            phase = .running
            return true
        case .running: throw .invalidInput("run() is already running")
        case .closing: return false
        case .closed(let error):
            if closedByUser { return false }
            throw error
        }
    }

    /// `close()` was called; returns whether `run()` is running and will end by itself.
    mutating func requestClose(_ effects: inout [ClientEffect]) -> Bool {
        switch phase {
        case .idle:
            closedByUser = true
            terminate(.connection("the client is closed"), pending: .cancelled, &effects)
            return false
        case .running:
            closedByUser = true
            phase = .closing
            for id in streamOrder where streams[id]?.started == true { control.append(.cancel(id)) }
            wakeWriter(&effects)
            return true
        case .closing: return true
        case .closed: return false
        }
    }

    /// Ends everything: later calls throw `error`; waiting requests and streams end with `pending`.
    mutating func terminate(_ error: StreamingError, pending: StreamingError, _ effects: inout [ClientEffect]) {
        if case .closed = phase { return }
        phase = .closed(error)
        session = nil
        for request in requests {
            if let continuation = request.continuation { effects.append(.resumeRequest(continuation, .failure(pending))) }
        }
        requests.removeAll()
        for id in streamOrder {
            if let tracker = streams[id] { effects.append(.finish(tracker.continuation, pending)) }
        }
        streams.removeAll()
        streamOrder.removeAll()
        control.removeAll()
        outbox.removeAll { _ in true }
    }
}
