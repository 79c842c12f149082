import Logging
import StreamingDomain
import Synchronization

/// The transport-independent heart of the real-time server: connections, channels,
/// heartbeats, limits and the wire protocol's requests.
///
/// A transport (the WebSocket adapter) accepts a client, wraps it in a ``ConnectionSink``
/// and calls ``connect(_:info:)``; then it hands every text message to
/// ``receive(_:from:)``, reports pongs with ``heard(from:)``, room in its buffer with
/// ``drained(_:)``, and the end with ``disconnect(_:code:)``. Everything else (parsing,
/// validation, rate limits, channels, agent streams, replies) happens here, so every
/// transport speaks the same protocol.
///
/// ``run()`` drives heartbeats and agent streams; ``shutdown()`` ends it.
public final class ConnectionHub: Sendable {
    public let options: ConnectionHubOptions
    /// The agent streams this hub starts, cancels and resumes.
    public let streams: AgentStreamService
    /// Turns a token into an identity; when set, every connection must authenticate.
    let authenticate: (@Sendable (String) -> String?)?
    /// Carries publishes to and from the other nodes of a cluster; `nil` for a single node.
    public let broadcaster: (any Broadcaster)?
    let logger: Logger

    struct Channel {
        var members: [ConnectionID: Connection] = [:]
        /// The members as an array, rebuilt only after a change, so a publish allocates nothing.
        var snapshot: [Connection]?
    }

    struct Registry {
        var connections: [ConnectionID: Connection] = [:]
        var channels: [String: Channel] = [:]
        var subscriptions = 0
        var accepted = 0
        var refused = 0
        var isShutDown = false
        /// A drain began (``ConnectionHub/drain(grace:work:stopNow:pollInterval:)``): new
        /// connections are refused; the work it waits for besides agent streams.
        var isDraining = false
        var drainWork: [DrainWork] = []
    }

    let registry: Mutex<Registry>
    let hooks: Mutex<Hooks>
    let framesIn = Atomic<Int>(0)
    let framesOut = Atomic<Int>(0)
    let dropped = Atomic<Int>(0)
    /// Heartbeat generation: advanced once per interval by ``heartbeat()``.
    let generation = Atomic<Int>(0)
    let stopped = OneWaySignal()

    /// Creates a hub.
    /// - Parameters:
    ///   - streams: Runs the agent streams clients ask for.
    ///   - authenticate: Verifies a token and returns the identity it names, or `nil` to
    ///     refuse it. Called on the connection's thread: it must not block (look the token up
    ///     in memory, check a signature). When set, clients must authenticate before anything
    ///     but `ping` and `auth`.
    ///   - broadcaster: Makes this hub a node of a cluster: publishes and broadcasts reach the
    ///     subscribers of every node. `nil` (the default): one node, in process.
    public init(
        options: ConnectionHubOptions = ConnectionHubOptions(),
        streams: AgentStreamService,
        authenticate: (@Sendable (String) -> String?)? = nil,
        broadcaster: (any Broadcaster)? = nil,
        logger: Logger = Logger(label: LogLabel.websocket)
    ) {
        self.options = options
        self.streams = streams
        self.authenticate = authenticate
        self.broadcaster = broadcaster
        self.logger = logger
        self.registry = Mutex(Registry())
        self.hooks = Mutex(Hooks())
    }

    /// Whether clients must authenticate.
    public var requiresAuthentication: Bool { authenticate != nil }

    /// Verifies `token` with the hub's verifier; `nil` when refused or when there is none.
    public func identity(forToken token: String) -> String? { authenticate?(token) }

    /// Whether the next connection would be refused for capacity (or shutdown, or a drain).
    public var isAtCapacity: Bool {
        registry.withLock { isFull($0) }
    }

    private func isFull(_ registry: Registry) -> Bool {
        registry.isShutDown || registry.isDraining || registry.connections.count >= options.maxConnections
    }

    /// Whether a client may be accepted now, asked by a transport before it accepts one (a
    /// WebSocket upgrade answered 503 otherwise). A refusal counts in
    /// ``ConnectionHubStats/refused``, as one by ``connect(_:info:)`` does.
    public func hasRoomForConnection() -> Bool {
        registry.withLock { registry in
            guard isFull(registry) else { return true }
            registry.refused += 1
            return false
        }
    }

    // MARK: Connections

    /// Registers a new connection and greets it with a `connected` frame.
    ///
    /// Returns `nil` when the hub is full, draining or shutting down; the transport then closes the
    /// connection with 1013 (``CloseCode/tryAgainLater``).
    public func connect(_ sink: any ConnectionSink, info: ConnectionInfo = ConnectionInfo()) -> Connection? {
        let connection = Connection(
            id: .random(),
            sink: sink,
            info: info,
            bucket: TokenBucket(capacity: options.messagesPerMinute, period: .seconds(60), now: .now),
            generation: generation.load(ordering: .relaxed)
        )
        let admitted = registry.withLock { registry -> Bool in
            guard !isFull(registry) else {
                registry.refused += 1
                return false
            }
            registry.connections[connection.id] = connection
            registry.accepted += 1
            return true
        }
        guard admitted else { return nil }
        send(
            ServerFrame.connected(
                connection.id, identity: info.identity, authenticationRequired: requiresAuthentication,
                clientAddress: info.remoteAddress),
            to: connection
        )
        for hook in hooks.withLock({ $0.connect }) { hook(connection) }
        return connection
    }

    /// Forgets a connection: its channels, its stream subscriptions. Idempotent.
    ///
    /// Streams it started keep running, so the client can resume them after reconnecting.
    public func disconnect(_ connection: Connection, code: CloseCode? = nil) {
        let (wasOpen, channels, followed, missed) = connection.state.withLock { state in
            defer {
                state.isOpen = false
                state.channels.removeAll()
                state.streams.removeAll()
                state.missed = 0
            }
            return (state.isOpen, state.channels, state.streams, state.missed)
        }
        guard wasOpen else { return }
        // Frames it never got stay counted in `stats.dropped`, which only counts open connections' pending drops.
        dropped.add(missed, ordering: .relaxed)
        registry.withLock { registry in
            registry.connections[connection.id] = nil
            for channel in channels { remove(connection.id, from: channel, in: &registry) }
        }
        for id in followed { streams.stream(id)?.unfollow(connection.id) }
        for hook in hooks.withLock({ $0.disconnect }) { hook(connection, code) }
    }

    /// The open connection `id`.
    public func connection(_ id: ConnectionID) -> Connection? {
        registry.withLock { $0.connections[id] }
    }

    /// Every open connection.
    public var connections: [Connection] {
        registry.withLock { Array($0.connections.values) }
    }

    /// The transport can take frames again: tells the client how many it missed, if any.
    public func drained(_ connection: Connection) {
        let missed = connection.state.withLock { state -> Int in
            defer { state.missed = 0 }
            return state.missed
        }
        guard missed > 0 else { return }
        dropped.add(missed, ordering: .relaxed)
        // Straight to the sink, not through `deliver`: a notice that does not fit is not itself
        // a frame the client missed, so it must not add to the count it will report.
        if !connection.sink.send(ServerFrame.missed(missed)) {
            // Still full: count the notice's frames again next time, and have the transport
            // say when there is room.
            connection.state.withLock { $0.missed += missed }
            dropped.subtract(missed, ordering: .relaxed)
            connection.sink.refused()
        }
    }

    /// The client answered a ping (or sent anything): it is alive.
    public func heard(from connection: Connection) {
        connection.lastHeard.store(generation.load(ordering: .relaxed), ordering: .relaxed)
    }

    /// Ends a connection that broke the WebSocket protocol, with the fitting error frame and
    /// close code; the error hooks hear of it with the close code.
    public func fail(_ connection: Connection, _ violation: ProtocolViolation) {
        let failure: ProtocolFailure
        var frame = true
        switch violation {
        case .messageTooLarge(let limit):
            failure = ProtocolFailure(.tooLarge, "messages are limited to \(limit) bytes", closeCode: violation.closeCode)
        case .invalidUTF8:
            failure = ProtocolFailure(.invalidMessage, "text messages must be UTF-8", closeCode: violation.closeCode)
        case .binaryMessage:
            failure = ProtocolFailure(
                .invalidMessage, "binary messages are not supported; send JSON text", closeCode: violation.closeCode)
        case .framing(let detail):
            logger.debug("protocol violation", metadata: ["connection": "\(connection.id)", "detail": "\(detail)"])
            failure = ProtocolFailure(.protocolError, "protocol error: \(detail)", closeCode: violation.closeCode)
            frame = false
        }
        let isOpen = connection.isOpen
        if frame { send(ServerFrame.error(failure), to: connection) }
        if isOpen { reportFailure(connection, failure) }
        connection.sink.close(code: violation.closeCode, reason: violation.closeReason)
        disconnect(connection, code: violation.closeCode)
    }

    // MARK: Channels and broadcast

    /// Subscribes `connection` to `channel`; idempotent.
    ///
    /// In a cluster the node may still be subscribing to the channel on the bus when this
    /// returns; the protocol's `subscribe` answers `subscribed` only once it is.
    public func subscribe(_ connection: Connection, to channel: String) throws(ProtocolFailure) {
        _ = try subscribe(connection, to: channel, whenReady: {})
    }

    /// Subscribes `connection` to `channel`; returns whether messages of every node reach it
    /// now, else `whenReady` is called once they do.
    func subscribe(_ connection: Connection, to channel: String, whenReady: @escaping @Sendable () -> Void)
        throws(ProtocolFailure) -> Bool
    {
        let added = try connection.state.withLock { state throws(ProtocolFailure) -> Bool? in
            guard state.isOpen else { return nil }
            if state.channels.contains(channel) { return false }
            guard state.channels.count < options.maxChannelsPerConnection else {
                throw ProtocolFailure(.serverBusy, "at most \(options.maxChannelsPerConnection) channels per connection")
            }
            state.channels.insert(channel)
            return true
        }
        guard let added else { return true }
        return registry.withLock { registry in
            if added {
                registry.channels[channel, default: Channel()].members[connection.id] = connection
                registry.channels[channel]!.snapshot = nil
                registry.subscriptions += 1
            }
            guard let broadcaster, registry.channels[channel] != nil else { return true }
            // Under the registry's lock, so the bus sees subscribes and unsubscribes of a
            // channel in the order its members came and went.
            return broadcaster.subscribe(.channel(channel), whenReady: whenReady)
        }
    }

    /// Unsubscribes `connection` from `channel`; idempotent.
    public func unsubscribe(_ connection: Connection, from channel: String) {
        let removed = connection.state.withLock { $0.channels.remove(channel) != nil }
        guard removed else { return }
        registry.withLock { remove(connection.id, from: channel, in: &$0) }
    }

    private func remove(_ id: ConnectionID, from channel: String, in registry: inout Registry) {
        guard registry.channels[channel]?.members.removeValue(forKey: id) != nil else { return }
        registry.subscriptions -= 1
        if registry.channels[channel]!.members.isEmpty {
            registry.channels[channel] = nil
            broadcaster?.unsubscribe(.channel(channel))
        } else {
            registry.channels[channel]!.snapshot = nil
        }
    }

    /// The subscribers of `channel`.
    public func subscribers(of channel: String) -> [Connection] {
        registry.withLock { registry in
            guard registry.channels[channel] != nil else { return [] }
            if registry.channels[channel]!.snapshot == nil {
                registry.channels[channel]!.snapshot = Array(registry.channels[channel]!.members.values)
            }
            return registry.channels[channel]!.snapshot!
        }
    }

    /// Publishes `data` on `channel`: every subscriber receives one `message` frame, encoded once.
    ///
    /// In a cluster the subscribers of every node receive it, each publisher's frames in order.
    /// - Parameter from: The sending client, shown as `from`; `nil` for the server.
    /// - Returns: How many of this node's subscribers the frame was handed to (not dropped).
    @discardableResult
    public func publish(_ data: JSONValue, on channel: String, from: ConnectionID? = nil) -> Int {
        broadcast(ServerFrame.message(channel: channel, data: data, from: from), on: channel)
    }

    /// Hands an already encoded frame to every subscriber of `channel`, on every node.
    /// - Returns: How many of this node's subscribers it was handed to.
    @discardableResult
    public func broadcast(_ frame: OutboundFrame, on channel: String) -> Int {
        broadcaster?.publish(frame, to: .channel(channel))
        return deliver(frame, to: subscribers(of: channel))
    }

    /// Hands `frame` to every open connection, on every node.
    /// - Returns: How many of this node's connections it was handed to.
    @discardableResult
    public func broadcastToAll(_ frame: OutboundFrame) -> Int {
        broadcaster?.publish(frame, to: .everyone)
        return deliver(frame, to: connections)
    }

    /// Hands `frame` to the connection `id`; `false` if it is gone or its buffer is full.
    @discardableResult
    public func send(_ frame: OutboundFrame, to id: ConnectionID) -> Bool {
        guard let connection = connection(id) else { return false }
        return send(frame, to: connection)
    }

    /// Hands `frame` to `connection`; `false` if its buffer is full.
    @discardableResult
    public func send(_ frame: OutboundFrame, to connection: Connection) -> Bool {
        deliver(frame, to: CollectionOfOne(connection)) == 1
    }

    func deliver(_ frame: OutboundFrame, to connections: some Collection<Connection>) -> Int {
        var delivered = 0
        for connection in connections where connection.deliver(frame) { delivered += 1 }
        framesOut.add(delivered, ordering: .relaxed)
        return delivered
    }

    /// Current figures.
    public var stats: ConnectionHubStats {
        let streamStats = streams.stats
        return registry.withLock { registry in
            ConnectionHubStats(
                connections: registry.connections.count,
                channels: registry.channels.count,
                subscriptions: registry.subscriptions,
                activeStreams: streamStats.active,
                retainedStreams: streamStats.retained,
                framesIn: framesIn.load(ordering: .relaxed),
                framesOut: framesOut.load(ordering: .relaxed),
                dropped: dropped.load(ordering: .relaxed) + pendingMissed(registry),
                accepted: registry.accepted,
                refused: registry.refused,
                cluster: broadcaster?.stats
            )
        }
    }

    private func pendingMissed(_ registry: Registry) -> Int {
        registry.connections.values.reduce(0) { total, connection in
            total + connection.state.withLock { $0.missed }
        }
    }
}
