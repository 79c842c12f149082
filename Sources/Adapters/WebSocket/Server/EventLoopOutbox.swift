import NIOCore
import StreamingApplication
import Synchronization

/// Frames queued for the connections of one event loop, written once per loop tick.
///
/// Publishers run on any thread. Rather than hop to a connection's loop once per frame
/// (a closure, a wake-up and a syscall each), they append to this queue, and the first
/// append of a tick schedules one drain. The drain appends every queued frame to its
/// connection's pending buffer, then writes and flushes each touched connection once: a
/// burst of N frames to one client costs one `write`, and a fan-out to many clients on
/// this loop costs one hop.
final class EventLoopOutbox: Sendable {
    enum Item {
        case frame(WebSocketSink, OutboundFrame)
        case ping(WebSocketSink)
        /// The hub counted a refused frame: report room, if there is some, after the frames before it.
        case refused(WebSocketSink)
        case close(WebSocketSink, CloseCode, String)
    }

    private struct Queue {
        var items: [Item] = []
        var drainScheduled = false
    }

    /// The loop-only half: the batch being drained, the connections touched, the codec.
    final class LoopState {
        var batch: [Item] = []
        var touched: [WebSocketConnection] = []
        lazy var codec = DeflateCodec()
    }

    let eventLoop: any EventLoop
    private let queue = Mutex(Queue())
    let loopState: NIOLoopBound<LoopState>

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        self.loopState = NIOLoopBound(LoopState(), eventLoop: eventLoop)
    }

    func enqueue(_ item: Item) {
        let schedule = queue.withLock { queue -> Bool in
            queue.items.append(item)
            if queue.drainScheduled { return false }
            queue.drainScheduled = true
            return true
        }
        if schedule { eventLoop.execute { self.drain() } }
    }

    private func drain() {
        let state = loopState.value
        queue.withLock { queue in
            // Swap buffers so both arrays keep their capacity from tick to tick.
            swap(&queue.items, &state.batch)
            queue.drainScheduled = false
        }
        for item in state.batch {
            switch item {
            case .frame(let sink, let frame): sink.handler.value.append(frame, from: sink, touched: &state.touched)
            case .ping(let sink): sink.handler.value.appendPing(touched: &state.touched)
            case .refused(let sink): sink.handler.value.reportRoom()
            case .close(let sink, let code, let reason): sink.handler.value.appendClose(code, reason, touched: &state.touched)
            }
        }
        state.batch.removeAll(keepingCapacity: true)
        for handler in state.touched { handler.flushPending() }
        state.touched.removeAll(keepingCapacity: true)
    }
}

/// One outbox per event loop, created on first use.
final class EventLoopOutboxes: Sendable {
    private let outboxes = Mutex<[ObjectIdentifier: EventLoopOutbox]>([:])

    func outbox(for eventLoop: any EventLoop) -> EventLoopOutbox {
        outboxes.withLock { outboxes in
            let key = ObjectIdentifier(eventLoop)
            if let outbox = outboxes[key] { return outbox }
            let outbox = EventLoopOutbox(eventLoop: eventLoop)
            outboxes[key] = outbox
            return outbox
        }
    }
}
