import NIOCore
import StreamingApplication
import Synchronization

/// The thread-safe face of one WebSocket connection, as the hub sees it.
///
/// It only accounts and queues: frames go to the loop's ``EventLoopOutbox`` and are written
/// by the connection's handler on its loop. The byte budget covers frames queued here and
/// frames the channel still holds (its write-buffer high-water mark is the same budget), so
/// a client that stops reading costs at most about twice ``WebSocketServerOptions/bufferSize``.
final class WebSocketSink: ConnectionSink {
    let outbox: EventLoopOutbox
    let channel: any Channel
    let handler: NIOLoopBound<WebSocketConnection>
    let bufferSize: Int
    /// Bytes queued in the outbox, not yet handed to the channel.
    let queuedBytes = Atomic<Int>(0)
    let isClosing = Atomic<Bool>(false)

    init(handler: WebSocketConnection, channel: any Channel, outbox: EventLoopOutbox, bufferSize: Int) {
        self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        self.channel = channel
        self.outbox = outbox
        self.bufferSize = bufferSize
    }

    func send(_ frame: OutboundFrame) -> Bool {
        guard !isClosing.load(ordering: .relaxed), channel.isWritable else { return false }
        let size = frame.bytes.count
        if queuedBytes.add(size, ordering: .relaxed).newValue > bufferSize {
            queuedBytes.subtract(size, ordering: .relaxed)
            return false
        }
        outbox.enqueue(.frame(self, frame))
        return true
    }

    func refused() {
        // Frames are refused while the channel is still writable when a burst outruns this
        // loop's drains; then no writability change will come. Check once the queue is drained.
        guard !isClosing.load(ordering: .relaxed) else { return }
        outbox.enqueue(.refused(self))
    }

    func close(code: CloseCode, reason: String) {
        guard !isClosing.exchange(true, ordering: .relaxed) else { return }
        // Queued behind the frames already sent, so an error frame arrives before the close.
        outbox.enqueue(.close(self, code, reason))
    }

    func ping() {
        guard !isClosing.load(ordering: .relaxed) else { return }
        outbox.enqueue(.ping(self))
    }
}
