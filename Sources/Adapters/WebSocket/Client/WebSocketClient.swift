import Logging
import StreamingApplication
import StreamingDomain
import Synchronization

/// A client of the real-time protocol: channels, publishing, authentication and agent
/// streams over one WebSocket that reconnects by itself.
///
/// The connection lives in ``run()``, which the caller owns: run it in a task group or a
/// service group, and it connects, reconnects with backoff after every drop, and returns
/// once ``close()`` is called (or throws when it gives up). Nothing runs in a hidden task.
/// ``withConnection(_:logger:_:)`` wraps both ends for the common case:
///
/// ```swift
/// try await WebSocketClient.withConnection(.init(url: "ws://localhost:8080/ws")) { client in
///     try await client.subscribe("news")
///     try client.publish(channel: "news", data: ["headline": "hello"])
///     for try await event in try client.startAgentStream(agent: "assistant", input: "Hi") {
///         if let text = event.content { print(text, terminator: "") }
///     }
/// }
/// ```
///
/// Everything the client was asked for survives a reconnect: the token is sent again, every
/// channel is subscribed again, queued messages are delivered, and agent streams resume from
/// the last event they delivered, with no gap and no duplicate.
///
/// > Note: HummingbirdWSClient has a `WebSocketClient` too; a file importing both modules
/// > names this one `StreamingWebSocket.WebSocketClient`.
public final class WebSocketClient: Sendable {
    /// The settings the client was created with.
    public let configuration: Configuration
    let logger: Logger
    let core: Mutex<ClientCore>
    let callbacks = Mutex(ClientCallbacks())
    /// Set by ``close()``: cuts a reconnect wait short.
    let closeRequested = OneWaySignal()
    /// Set when ``run()`` has ended.
    let stopped = OneWaySignal()

    /// Creates a client; it connects when ``run()`` is called.
    public init(configuration: Configuration, logger: Logger = Logger(label: LogLabel.websocket + ".client")) {
        self.configuration = configuration
        self.logger = logger
        self.core = Mutex(
            ClientCore(
                maxQueuedMessages: configuration.maxQueuedMessages,
                token: configuration.token,
                maxBufferedEvents: configuration.maxBufferedStreamEvents
            ))
    }

    /// Creates a client for `url` with the default configuration.
    public convenience init(url: String, logger: Logger = Logger(label: LogLabel.websocket + ".client")) {
        self.init(configuration: Configuration(url: url), logger: logger)
    }

    /// The id the server gave the open connection; `nil` while disconnected.
    public var clientID: String? { core.withLock { $0.clientID } }

    /// The identity the server confirmed for the client's token, if any.
    public var identity: String? { core.withLock { $0.identity } }

    /// Whether a connection is open.
    public var isConnected: Bool { core.withLock { $0.session != nil } }

    /// Messages waiting in the outbox.
    public var queuedMessages: Int { core.withLock { $0.outbox.count } }

    /// The most unread events any agent stream has held at once (never above
    /// ``Configuration/maxBufferedStreamEvents``).
    var streamBufferHighWaterMark: Int { core.withLock { $0.bufferHighWaterMark } }

    /// How many times an agent stream's buffer filled up, so its frames were dropped for a resume.
    var streamBufferPauses: Int { core.withLock { $0.bufferPauses } }

    // MARK: Channels and messages

    /// Subscribes to `channel` and waits for the server's `subscribed`; the subscription is
    /// renewed after every reconnect.
    ///
    /// Called while disconnected, it waits for the next connection (within
    /// ``Configuration/requestTimeout``).
    /// - Throws: ``StreamingDomain/StreamingError/timeout(_:)`` without a reply in time, the
    ///   server's refusal (``StreamingDomain/StreamingError/unauthorized(_:)``,
    ///   ``StreamingDomain/StreamingError/serverBusy(_:)`` for too many channels), or
    ///   ``StreamingDomain/StreamingError/queueFull(capacity:)``.
    public func subscribe(_ channel: String) async throws(StreamingError) {
        _ = try await request(.subscribe(channel))
    }

    /// Unsubscribes from `channel` and waits for the server's `unsubscribed` (at once while
    /// disconnected: the next connection just does not subscribe).
    public func unsubscribe(_ channel: String) async throws(StreamingError) {
        _ = try await request(.unsubscribe(channel))
    }

    /// Sends `token` and waits for the server to accept it; the token is sent again first
    /// thing on every reconnect.
    /// - Returns: The identity the server gives the token.
    /// - Throws: ``StreamingDomain/StreamingError/unauthorized(_:)`` when the server refuses
    ///   it (the token is then forgotten), ``StreamingDomain/StreamingError/timeout(_:)``.
    @discardableResult
    public func authenticate(token: String) async throws(StreamingError) -> String {
        let identity = try await request(.auth) { $0.token = token }
        return identity ?? ""
    }

    /// Publishes `data` on `channel` to every subscriber (this client included, when subscribed).
    ///
    /// Returns once the message is queued: while the connection is down it waits in the
    /// outbox and goes out after the reconnect.
    /// - Throws: ``StreamingDomain/StreamingError/queueFull(capacity:)`` when
    ///   ``Configuration/maxQueuedMessages`` wait already; a connection error once closed.
    public func publish(channel: String, data: JSONValue) throws(StreamingError) {
        try send(text: ClientFrame.publish(channel: channel, data: data))
    }

    /// Sends a message of any `type` with `fields` (for protocol extensions such as chat rooms),
    /// queued like ``publish(channel:data:)``.
    public func send(type: String, fields: [String: JSONValue] = [:]) throws(StreamingError) {
        try send(text: ClientFrame.custom(type: type, fields: fields))
    }

    private func send(text: String) throws(StreamingError) {
        try mutate { core, effects throws(StreamingError) in try core.send(text, &effects) }
    }

    // MARK: Agent streams

    /// Starts `agent` on `input` and returns its events as they stream.
    ///
    /// The sequence yields each event once, in `seq` order, across reconnects: after a drop it
    /// sends `resume` with the last `seq` it delivered, drops replayed duplicates, and resumes
    /// again on a gap or a `missed` notice. At most ``Configuration/maxBufferedStreamEvents``
    /// unread events are held: past that, frames are dropped and fetched again with `resume`
    /// once the consumer has caught up. It finishes after `complete`, and throws the
    /// stream's ``StreamingDomain/StreamingError`` for an `error` frame (`cancelled` →
    /// ``StreamingDomain/StreamingError/cancelled``, `not_found` →
    /// ``StreamingDomain/StreamingError/notFound(_:)``...). Cancelling the task that iterates
    /// (or dropping the sequence) sends `cancel`, which stops the run on the server.
    /// - Parameter id: The stream's id; by default a fresh random one.
    /// - Throws: ``StreamingDomain/StreamingError/queueFull(capacity:)``, or
    ///   ``StreamingDomain/StreamingError/invalidInput(_:)`` for an id already streaming.
    public func startAgentStream(agent: String, input: String, id: String? = nil) throws(StreamingError)
        -> AgentEventStream
    {
        let id = id ?? Self.freshStreamID()
        let (events, continuation) = AsyncThrowingStream<AgentStreamEvent, any Error>.makeStream()
        continuation.onTermination = { [weak self] termination in
            guard case .cancelled = termination else { return }
            self?.mutate { core, effects in core.abandonStream(id, &effects) }
        }
        do {
            try mutate { core, effects throws(StreamingError) in
                try core.startStream(id: id, agent: agent, input: input, continuation: continuation, &effects)
            }
        } catch {
            continuation.finish(throwing: error)
            throw error
        }
        return AgentEventStream(id: id, base: events) { [weak self] in
            self?.mutate { core, effects in core.consumed(id, &effects) }
        }
    }

    static func freshStreamID() -> String {
        let value = UInt64.random(in: .min ... .max)
        return "c-" + String(value, radix: 16)
    }

    // MARK: Closing

    /// Closes the connection with 1000 (normal closure), without reconnecting, and returns
    /// once ``run()`` has ended.
    ///
    /// Queued messages are flushed first when a connection is open; running agent streams are
    /// cancelled on the server, and their sequences, like waiting requests, end with
    /// ``StreamingDomain/StreamingError/cancelled``. Later calls throw a connection error.
    public func close() async {
        let running = mutate { core, effects in core.requestClose(&effects) }
        closeRequested.set()
        if running { await stopped.wait() }
    }

    // MARK: Internals

    /// Changes the state under the lock, then performs the effects outside it.
    func mutate<Value: Sendable>(
        _ body: (inout ClientCore, inout [ClientEffect]) throws(StreamingError) -> Value
    ) throws(StreamingError) -> Value {
        let (value, effects) = try core.withLock { core throws(StreamingError) -> (Value, [ClientEffect]) in
            var effects: [ClientEffect] = []
            let value = try body(&core, &effects)
            return (value, effects)
        }
        perform(effects)
        return value
    }

    /// Changes the state under the lock, then performs the effects outside it.
    func mutate<Value: Sendable>(_ body: (inout ClientCore, inout [ClientEffect]) -> Value) -> Value {
        let (value, effects) = core.withLock { core -> (Value, [ClientEffect]) in
            var effects: [ClientEffect] = []
            let value = body(&core, &effects)
            return (value, effects)
        }
        perform(effects)
        return value
    }

    func perform(_ effects: [ClientEffect]) {
        guard !effects.isEmpty else { return }
        var handlers: ClientCallbacks?
        for effect in effects {
            switch effect {
            case .resumeRequest(let continuation, let result):
                switch result {
                case .success(let value): continuation.resume(returning: value)
                case .failure(let error): continuation.resume(throwing: error)
                }
            case .deliver(let continuation, let event):
                continuation.yield(event)
            case .finish(let continuation, let error):
                if let error { continuation.finish(throwing: error) } else { continuation.finish() }
            case .wakeWriter(let wake):
                wake.yield()
            case .connected(let clientID):
                if handlers == nil { handlers = callbacks.withLock { $0 } }
                for handler in handlers!.connect { handler(clientID) }
            case .message(let message):
                if handlers == nil { handlers = callbacks.withLock { $0 } }
                for handler in handlers!.message { handler(message) }
            }
        }
    }
}
