import NIOCore
import NIOWebSocket
import StreamingApplication

/// The per-connection SwiftNIO handler: WebSocket frames in, coalesced bytes out.
///
/// It owns no task. An idle connection is this object, its ``WebSocketSink``, the hub's
/// ``Connection`` and NIO's channel: no parked Swift task per client. Inbound messages are
/// reassembled, decompressed and validated here, then handed to ``ConnectionHub/receive(_:from:)``
/// on the event loop; outbound frames arrive through the loop's ``EventLoopOutbox``.
final class WebSocketConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = ByteBuffer

    private let hub: ConnectionHub
    private let info: ConnectionInfo
    private let options: WebSocketServerOptions
    private let outbox: EventLoopOutbox
    private let compression: Bool

    private var context: ChannelHandlerContext?
    private var sink: WebSocketSink?
    private var connection: Connection?
    /// The fragments of a message still arriving.
    private var partialMessage: ByteBuffer?
    private var partialMessageCompressed = false
    /// Bytes appended during this loop tick, written and flushed at its end.
    private var pending: ByteBuffer?
    private var closeSent = false


    init(hub: ConnectionHub, info: ConnectionInfo, options: WebSocketServerOptions, outbox: EventLoopOutbox, compression: Bool) {
        self.hub = hub
        self.info = info
        self.options = options
        self.outbox = outbox
        self.compression = compression
    }

    private var maxMessageSize: Int {
        compression ? min(hub.options.maxMessageSize, options.maxDecompressedMessageSize) : hub.options.maxMessageSize
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let budget = max(options.bufferSize, 1024)
        context.channel.setOption(ChannelOptions.writeBufferWaterMark, value: .init(low: budget / 2, high: budget))
            .whenFailure { _ in }
        let sink = WebSocketSink(handler: self, channel: context.channel, outbox: outbox, bufferSize: budget)
        self.sink = sink
        guard let connection = hub.connect(sink, info: info) else {
            // Over capacity after the upgrade raced another: say why, then close with 1013.
            let failure = ProtocolFailure(.serverBusy, "the server is at its connection limit")
            writeNow(.text, ServerFrame.error(failure).bytes, context: context)
            sendClose(.tryAgainLater, "server busy", context: context)
            return
        }
        self.connection = connection
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        release()
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    /// Ends the connection for the hub and lets go of the sink: the sink holds this handler
    /// (to write on the loop), so keeping it would keep the pair and the channel alive forever.
    private func release() {
        sink?.isClosing.store(true, ordering: .relaxed)
        if let connection { hub.disconnect(connection) }
        connection = nil
        sink = nil
        partialMessage = nil
        pending = nil
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        reportRoom()
        context.fireChannelWritabilityChanged()
    }

    /// Lets the hub tell the client what it missed, if the channel takes frames again; when it
    /// does not, its writability change calls this later.
    func reportRoom() {
        if let context, context.channel.isWritable, let connection { hub.drained(connection) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // The peer closed its socket without a closing handshake (a cut: RFC 6455's 1006).
            // Hummingbird allows half-closure, so without this the connection would stay
            // registered, and its memory held, until the heartbeat found it silent.
            context.close(promise: nil)
            return
        }
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // Hummingbird's graceful shutdown waits for every child channel to close. The hub
        // closes an idle connection now with 1012 (reconnect at once, elsewhere); one that
        // waits for a running stream while the hub drains is closed when the stream ends.
        if let connection {
            hub.quiesce(connection)
        } else {
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let connection else {
            context.close(promise: nil)
            return
        }
        // Once a close is queued, the frame decoder reports whatever the peer still sends
        // (the rest of an oversized frame) as errors: closing now would lose the error and
        // close frames queued before them. The channel closes once they are written.
        guard !isClosing else { return }
        switch error {
        case NIOWebSocketError.invalidFrameLength:
            hub.fail(connection, .messageTooLarge(limit: maxMessageSize))
        case let error as NIOWebSocketError:
            hub.fail(connection, .framing("\(error)"))
        default:
            // An I/O error (a failed write or read): the peer is gone; nothing more can be said to it.
            hub.lost(connection, reason: "\(error)")
            context.close(promise: nil)
        }
    }

    /// Whether a close frame is queued or sent: nothing more from the peer is acted on.
    private var isClosing: Bool {
        closeSent || sink?.isClosing.load(ordering: .relaxed) == true
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let connection, !isClosing else { return }
        guard let maskKey = frame.maskKey else {
            hub.fail(connection, .framing("client frames must be masked"))
            return
        }
        guard !frame.rsv2, !frame.rsv3, !frame.rsv1 || (compression && frame.opcode != .continuation) else {
            hub.fail(connection, .framing("reserved bits set"))
            return
        }
        var payload = frame.data
        payload.webSocketUnmask(maskKey)

        switch frame.opcode {
        case .text, .binary:
            guard partialMessage == nil else {
                hub.fail(connection, .framing("a new message began before the last one ended"))
                return
            }
            guard frame.opcode == .text else {
                hub.fail(connection, .binaryMessage)
                return
            }
            if frame.fin {
                process(payload, compressed: frame.rsv1, from: connection)
            } else {
                partialMessage = payload
                partialMessageCompressed = frame.rsv1
            }
        case .continuation:
            guard var message = partialMessage else {
                hub.fail(connection, .framing("a continuation frame without a message"))
                return
            }
            partialMessage = nil
            guard message.readableBytes + payload.readableBytes <= maxMessageSize else {
                hub.fail(connection, .messageTooLarge(limit: maxMessageSize))
                return
            }
            message.writeBuffer(&payload)
            if frame.fin {
                process(message, compressed: partialMessageCompressed, from: connection)
            } else {
                partialMessage = message
            }
        case .ping:
            hub.heard(from: connection)
            writeNow(.pong, Array(payload.readableBytesView), context: context)
        case .pong:
            hub.heard(from: connection)
        case .connectionClose:
            receivedClose(payload, from: connection, context: context)
        default:
            hub.fail(connection, .framing("unknown opcode"))
        }
    }

    private func process(_ message: ByteBuffer, compressed: Bool, from connection: Connection) {
        var message = message
        if compressed {
            do {
                message = try outbox.loopState.value.codec.decompress(message, limit: maxMessageSize)
            } catch DeflateError.tooLarge {
                hub.fail(connection, .messageTooLarge(limit: maxMessageSize))
                return
            } catch {
                hub.fail(connection, .framing("the compressed message could not be inflated"))
                return
            }
        }
        guard message.readableBytes <= maxMessageSize else {
            hub.fail(connection, .messageTooLarge(limit: maxMessageSize))
            return
        }
        message.withUnsafeReadableBytes { bytes in
            guard UTF8Validation.isValid(bytes) else {
                hub.fail(connection, .invalidUTF8)
                return
            }
            hub.receive(bytes, from: connection)
        }
    }

    private func receivedClose(_ payload: ByteBuffer, from connection: Connection, context: ChannelHandlerContext) {
        var payload = payload
        var code = CloseCode.normal
        if payload.readableBytes >= 2, let raw = payload.readInteger(as: UInt16.self) {
            // Echo the peer's code only when it may appear in a close frame (RFC 6455 7.4).
            code = CloseCode.mayBeSent(raw) ? CloseCode(rawValue: raw) : .protocolError
        } else if payload.readableBytes == 1 {
            code = .protocolError
        }
        hub.disconnect(connection)
        self.connection = nil
        sink?.isClosing.store(true, ordering: .relaxed)
        // Answer the closing handshake with the peer's code, then end the connection.
        sendClose(code, "", context: context)
    }

    // MARK: Outbound (on the loop, from the outbox)

    func append(_ frame: OutboundFrame, from sink: WebSocketSink, touched: inout [WebSocketConnectionHandler]) {
        sink.queuedBytes.subtract(frame.bytes.count, ordering: .relaxed)
        guard let context, !closeSent else { return }
        var buffer = takePending(minimumCapacity: frame.bytes.count + 10, context: context, touched: &touched)
        if compression, let compressed = outbox.loopState.value.codec.compress(frame.bytes) {
            WebSocketFrameWriter.write(.text, payload: compressed, compressed: true, to: &buffer)
        } else {
            WebSocketFrameWriter.write(.text, payload: frame.bytes, to: &buffer)
        }
        pending = buffer
    }

    func appendPing(touched: inout [WebSocketConnectionHandler]) {
        guard let context, !closeSent else { return }
        var buffer = takePending(minimumCapacity: 2, context: context, touched: &touched)
        WebSocketFrameWriter.write(.ping, payload: [], to: &buffer)
        pending = buffer
    }

    func appendClose(_ code: CloseCode, _ reason: String, touched: inout [WebSocketConnectionHandler]) {
        guard let context, !closeSent else { return }
        var buffer = takePending(minimumCapacity: 128, context: context, touched: &touched)
        WebSocketFrameWriter.write(.close, payload: WebSocketFrameWriter.closePayload(code: code, reason: reason), to: &buffer)
        pending = buffer
        closeSent = true
    }

    /// Writes and flushes what this tick appended: one write per connection per tick.
    func flushPending() {
        guard let context, let buffer = pending else { return }
        pending = nil
        if closeSent {
            closeAfterWriting(buffer, context: context)
        } else {
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        }
    }

    private func takePending(
        minimumCapacity: Int,
        context: ChannelHandlerContext,
        touched: inout [WebSocketConnectionHandler]
    ) -> ByteBuffer {
        if let buffer = pending {
            pending = nil  // keep the buffer uniquely referenced while it grows
            return buffer
        }
        touched.append(self)
        return context.channel.allocator.buffer(capacity: max(minimumCapacity, 256))
    }

    // MARK: Direct writes (outside a drain)

    private func writeNow(_ opcode: WebSocketFrameWriter.Opcode, _ payload: [UInt8], context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: payload.count + 10)
        WebSocketFrameWriter.write(opcode, payload: payload, to: &buffer)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private func sendClose(_ code: CloseCode, _ reason: String, context: ChannelHandlerContext) {
        guard !closeSent else { return }
        closeSent = true
        var buffer = context.channel.allocator.buffer(capacity: 128)
        WebSocketFrameWriter.write(.close, payload: WebSocketFrameWriter.closePayload(code: code, reason: reason), to: &buffer)
        closeAfterWriting(buffer, context: context)
    }

    /// Writes the last bytes (ending with a close frame) and closes the channel once they are
    /// out, or after the close timeout if the peer does not read them.
    private func closeAfterWriting(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        let channel = context.channel
        let timeout = TimeAmount.nanoseconds(
            options.closeTimeout.components.seconds * 1_000_000_000 + options.closeTimeout.components.attoseconds / 1_000_000_000
        )
        let deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in
            deadline.cancel()
            channel.close(promise: nil)
        }
    }
}

/// UTF-8 validation with an ASCII fast path: JSON frames are mostly ASCII.
enum UTF8Validation {
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = bytes.count
        // Eight bytes at a time while no byte has its high bit set.
        while index + 8 <= count {
            if bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
            index += 8
        }
        while index < count, bytes[index] < 0x80 { index += 1 }
        if index == count { return true }
        return String(validating: UnsafeRawBufferPointer(rebasing: bytes[index...]), as: UTF8.self) != nil
    }
}
