import StreamingApplication
import StreamingDomain

/// How a connection of a ``WebSocketClient`` ended, as ``WebSocketClient/onDisconnect(_:)`` reports it.
public struct Disconnection: Sendable, Hashable {
    /// The close code the server sent, when it closed cleanly.
    public var closeCode: CloseCode?
    /// Why the connection ended, when it was not a clean close; after the last reconnect
    /// attempt failed, the error ``WebSocketClient/run()`` throws.
    public var error: StreamingError?
    /// Whether the client will try to connect again.
    public var willReconnect: Bool

    /// Creates a report of a connection's end.
    public init(closeCode: CloseCode? = nil, error: StreamingError? = nil, willReconnect: Bool) {
        self.closeCode = closeCode
        self.error = error
        self.willReconnect = willReconnect
    }
}

/// The callbacks registered on a client.
struct ClientCallbacks: Sendable {
    var connect: [@Sendable (String) -> Void] = []
    var disconnect: [@Sendable (Disconnection) -> Void] = []
    var reconnect: [@Sendable (Int) -> Void] = []
    var message: [@Sendable (ServerMessage) -> Void] = []
}

extension WebSocketClient {
    /// Calls `handler` with the client id the server gives each connection, once the
    /// connection is open (the first one and every reconnect).
    ///
    /// Callbacks run on the client's connection task, in order with the frames around them:
    /// they must return quickly and must not wait on the client.
    public func onConnect(_ handler: @escaping @Sendable (_ clientID: String) -> Void) {
        callbacks.withLock { $0.connect.append(handler) }
    }

    /// Calls `handler` when a connection ends, and once more, with the final error, when the
    /// client gives up reconnecting.
    public func onDisconnect(_ handler: @escaping @Sendable (Disconnection) -> Void) {
        callbacks.withLock { $0.disconnect.append(handler) }
    }

    /// Calls `handler` before each reconnect attempt with its number: 1, 2, ... counting
    /// from the last connection that opened.
    public func onReconnect(_ handler: @escaping @Sendable (_ attempt: Int) -> Void) {
        callbacks.withLock { $0.reconnect.append(handler) }
    }

    /// Calls `handler` with every server frame the client does not consume itself: channel
    /// `message`s, `pong`, `missed`, errors that answer no pending request, frames of streams
    /// nobody follows, and custom types such as chat-room frames.
    public func onMessage(_ handler: @escaping @Sendable (ServerMessage) -> Void) {
        callbacks.withLock { $0.message.append(handler) }
    }
}
