import NIOCore
import StreamingApplication

/// ``ConnectionHub`` as the consumer of one WebSocket connection: the JSON protocol.
///
/// Text messages go to ``ConnectionHub/receive(_:from:)``; binary messages are refused
/// (`invalid_message`, then close 1003), as docs/PROTOCOL.md says. The hub talks back
/// through a ``WebSocketSink``, from any thread, by way of the loop's ``EventLoopOutbox``.
final class HubWebSocketConsumer: WebSocketConsumer {
    private let hub: ConnectionHub
    private let info: ConnectionInfo
    private var sink: WebSocketSink?
    private var connection: Connection?

    init(hub: ConnectionHub, info: ConnectionInfo) {
        self.hub = hub
        self.info = info
    }

    func opened(_ webSocket: WebSocketConnection) -> Bool {
        guard let channel = webSocket.channel else { return false }
        let sink = WebSocketSink(handler: webSocket, channel: channel, outbox: webSocket.outbox, bufferSize: webSocket.bufferSize)
        self.sink = sink
        guard let connection = hub.connect(sink, info: info) else {
            // Over capacity after the upgrade raced another: say why; the frame layer closes with 1013.
            let failure = ProtocolFailure(.serverBusy, "the server is at its connection limit")
            webSocket.send(.text(ByteBuffer(bytes: ServerFrame.error(failure).bytes)))
            sink.isClosing.store(true, ordering: .relaxed)
            self.sink = nil
            return false
        }
        self.connection = connection
        return true
    }

    func received(_ message: WebSocketMessage, on webSocket: WebSocketConnection) {
        guard let connection else { return }
        switch message {
        case .text(let text):
            text.withUnsafeReadableBytes { hub.receive($0, from: connection) }
        case .binary:
            hub.fail(connection, .binaryMessage)
        }
    }

    func violated(_ violation: ProtocolViolation, on webSocket: WebSocketConnection) {
        if let connection {
            hub.fail(connection, violation)
        } else {
            webSocket.close(violation.closeCode, reason: violation.closeReason)
        }
    }

    func heard() {
        if let connection { hub.heard(from: connection) }
    }

    func lost(reason: String) {
        if let connection { hub.lost(connection, reason: reason) }
    }

    func writable() {
        if let connection { hub.drained(connection) }
    }

    func quiesce(_ webSocket: WebSocketConnection) {
        // The hub closes an idle connection now with 1012 (reconnect at once, elsewhere); one
        // that waits for a running stream while the hub drains is closed when the stream ends.
        if let connection { hub.quiesce(connection) } else { webSocket.channel?.close(promise: nil) }
    }

    /// Ends the connection for the hub and lets go of the sink: the sink holds the frame layer
    /// (to write on the loop), so keeping it would keep the pair and the channel alive forever.
    func closed() {
        sink?.isClosing.store(true, ordering: .relaxed)
        if let connection { hub.disconnect(connection) }
        connection = nil
        sink = nil
    }

    var isClosing: Bool { sink?.isClosing.load(ordering: .relaxed) == true }
}
