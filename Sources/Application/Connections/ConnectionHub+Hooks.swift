/// The callbacks registered on a hub.
struct Hooks {
    var connect: [@Sendable (Connection) -> Void] = []
    var disconnect: [@Sendable (Connection, CloseCode?) -> Void] = []
    var message: [@Sendable (Connection, ClientMessage) -> Void] = []
    var error: [@Sendable (Connection, ProtocolFailure) -> Void] = []
    var handlers: [String: MessageHandler] = [:]
}

/// Handles one custom message `type` (see ``ConnectionHub/handle(_:_:)``).
///
/// Throwing a ``ProtocolFailure`` answers the client with that `error` frame.
public typealias MessageHandler = @Sendable (Connection, FieldReader) throws(ProtocolFailure) -> Void

extension ConnectionHub {
    /// Calls `hook` after a connection is registered (and greeted).
    public func onConnect(_ hook: @escaping @Sendable (Connection) -> Void) {
        hooks.withLock { $0.connect.append(hook) }
    }

    /// Calls `hook` once a connection is gone, with the close code when the server chose it.
    public func onDisconnect(_ hook: @escaping @Sendable (Connection, CloseCode?) -> Void) {
        hooks.withLock { $0.disconnect.append(hook) }
    }

    /// Calls `hook` for every valid message, before the hub acts on it.
    public func onMessage(_ hook: @escaping @Sendable (Connection, ClientMessage) -> Void) {
        hooks.withLock { $0.message.append(hook) }
    }

    /// Calls `hook` for every `error` frame the hub answers a client with, and for every
    /// connection-level failure that ends a connection: a protocol violation
    /// (``ProtocolErrorCode/tooLarge``, ``ProtocolErrorCode/invalidMessage``,
    /// ``ProtocolErrorCode/protocolError``), a refused token, a heartbeat timeout
    /// (``ProtocolErrorCode/heartbeatTimeout``), or a peer gone without a closing handshake: a
    /// failed read or write, a reset, a TCP close without a close frame
    /// (``ProtocolErrorCode/connectionLost``). Those carry the reason in `message` and the
    /// close code in ``ProtocolFailure/closeCode``.
    public func onError(_ hook: @escaping @Sendable (Connection, ProtocolFailure) -> Void) {
        hooks.withLock { $0.error.append(hook) }
    }

    /// Routes messages of `type` to `handler`: the way to extend the protocol (chat rooms use it).
    ///
    /// Built-in types (`subscribe`, `publish`, `agent_stream`...) cannot be replaced.
    public func handle(_ type: String, _ handler: @escaping MessageHandler) {
        hooks.withLock { $0.handlers[type] = handler }
    }
}

extension ConnectionHub {
    /// Tells the error hooks that `connection` ended on `failure` (no frame is sent).
    func reportFailure(_ connection: Connection, _ failure: ProtocolFailure) {
        for hook in hooks.withLock({ $0.error }) { hook(connection, failure) }
    }

    /// The transport of `connection` failed (a read or write error, a reset, a TCP close
    /// without a close frame): the peer is gone. The error hooks hear of it
    /// (``ProtocolErrorCode/connectionLost`` with `reason`), then the connection is forgotten.
    /// Does nothing for a connection already gone.
    public func lost(_ connection: Connection, reason: String) {
        guard connection.isOpen else { return }
        reportFailure(connection, ProtocolFailure(.connectionLost, reason))
        disconnect(connection)
    }
}
