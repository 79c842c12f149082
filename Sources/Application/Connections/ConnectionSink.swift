/// The transport side of one connection: what the hub needs to talk back to a client.
///
/// A transport (the WebSocket adapter, or a recorder in tests) implements this for each
/// connection it accepts and hands it to ``ConnectionHub/connect(_:info:)``. Every method
/// may be called from any thread and must return without waiting for the network.
public protocol ConnectionSink: AnyObject, Sendable {
    /// Queues `frame` for the client without waiting.
    ///
    /// Returns `false`, and drops the frame, when the connection's bounded outbound buffer is
    /// full (the client does not read fast enough) or the connection is closing. The hub counts
    /// the drop and, once ``ConnectionHub/drained(_:)`` reports room again, tells the client
    /// how many frames it missed.
    func send(_ frame: OutboundFrame) -> Bool

    /// The hub counted a frame that ``send(_:)`` refused: the first since the client was last
    /// told, or one more after a `missed` notice that could not be sent either.
    ///
    /// The transport must call ``ConnectionHub/drained(_:)`` once it has room again. One whose
    /// buffer is full only while its socket is (and that reports the socket becoming writable)
    /// has nothing more to do: the default does nothing. One that also refuses while the socket
    /// still takes bytes (a burst over a queue's budget) must check for room here, or a burst
    /// that ends while the socket is writable leaves the client never told.
    func refused()

    /// Sends a close frame with `code` and a short `reason`, then closes the connection.
    /// The transport reports the end with ``ConnectionHub/disconnect(_:code:)``.
    func close(code: CloseCode, reason: String)

    /// Sends a heartbeat ping; the transport answers the client's pong with
    /// ``ConnectionHub/heard(from:)``.
    func ping()
}

extension ConnectionSink {
    public func refused() {}
}
