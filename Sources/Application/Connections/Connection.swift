import StreamingDomain
import Synchronization

/// The id the hub gives a connection, and clients see as `from` and `client_id`.
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// A fresh random id: 16 hexadecimal digits.
    public static func random() -> ConnectionID {
        let value = UInt64.random(in: .min ... .max)
        let digits = String(value, radix: 16)
        return ConnectionID(String(repeating: "0", count: 16 - digits.count) + digits)
    }

    public var description: String { rawValue }
}

/// What a transport knows about a connection when it opens.
public struct ConnectionInfo: Sendable, Hashable {
    /// The peer's address, for logs.
    public var remoteAddress: String?
    /// The identity a verifier gave the connection at upgrade, if any.
    public var identity: String?
    /// Free-form metadata (user agent, path, anything a hook wants to keep).
    public var metadata: [String: String]

    public init(remoteAddress: String? = nil, identity: String? = nil, metadata: [String: String] = [:]) {
        self.remoteAddress = remoteAddress
        self.identity = identity
        self.metadata = metadata
    }
}

/// One client connection as the hub sees it, whatever its transport.
///
/// Its mutable parts live behind a `Mutex` (metadata, channels, streams, the rate bucket)
/// or in atomics (the heartbeat mark), so the transport's event loop and the hub's
/// publishers may touch it from any thread.
public final class Connection: Sendable {
    public let id: ConnectionID
    /// The transport that carries frames to the client.
    public let sink: any ConnectionSink
    public let remoteAddress: String?

    struct State {
        var identity: String?
        var metadata: [String: String]
        var channels: Set<String> = []
        var streams: Set<String> = []
        var bucket: TokenBucket
        /// Frames dropped since the client was last told (see ``ConnectionHub/drained(_:)``).
        var missed = 0
        var isOpen = true
    }

    let state: Mutex<State>
    /// The heartbeat generation in which the client was last heard (any frame or pong).
    let lastHeard: Atomic<Int>

    init(id: ConnectionID, sink: any ConnectionSink, info: ConnectionInfo, bucket: TokenBucket, generation: Int) {
        self.id = id
        self.sink = sink
        self.remoteAddress = info.remoteAddress
        self.state = Mutex(State(identity: info.identity, metadata: info.metadata, bucket: bucket))
        self.lastHeard = Atomic(generation)
    }

    /// The authenticated identity, once a verifier accepted a token.
    public var identity: String? { state.withLock { $0.identity } }

    /// The connection's metadata.
    public var metadata: [String: String] { state.withLock { $0.metadata } }

    /// Sets (or, with `nil`, removes) one metadata entry.
    public func setMetadata(_ key: String, _ value: String?) {
        state.withLock { $0.metadata[key] = value }
    }

    /// The channels the connection is subscribed to.
    public var channels: Set<String> { state.withLock { $0.channels } }

    /// Whether the connection is still registered with the hub.
    public var isOpen: Bool { state.withLock { $0.isOpen } }

    /// Hands `frame` to the transport, counting a drop when its buffer is full.
    @discardableResult
    func deliver(_ frame: OutboundFrame) -> Bool {
        if sink.send(frame) { return true }
        let first = state.withLock { state -> Bool in
            state.missed += 1
            return state.missed == 1
        }
        // Counted before the transport hears of it, so its `drained` call sees this drop.
        if first { sink.refused() }
        return false
    }
}
