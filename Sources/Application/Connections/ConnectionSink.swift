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

    /// Sends a close frame with `code` and a short `reason`, then closes the connection.
    /// The transport reports the end with ``ConnectionHub/disconnect(_:code:)``.
    func close(code: CloseCode, reason: String)

    /// Sends a heartbeat ping; the transport answers the client's pong with
    /// ``ConnectionHub/heard(from:)``.
    func ping()
}
