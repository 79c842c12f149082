import NIOCore
import StreamingApplication

extension WebSocketConnection {
    // MARK: Sending (the consumer's side, on the loop)

    /// Sends one message now, compressed when permessage-deflate was negotiated and it pays.
    /// Call it on the connection's event loop; frames after a close are dropped.
    public func send(_ message: WebSocketMessage) {
        guard let context, !closeSent else { return }
        let (opcode, payload): (WebSocketFrameWriter.Opcode, ByteBuffer) =
            switch message {
            case .text(let payload): (.text, payload)
            case .binary(let payload): (.binary, payload)
            }
        var buffer = context.channel.allocator.buffer(capacity: payload.readableBytes + 10)
        if let deflate, let compressed = outbox.loopState.value.codec.compress(payload, windowBits: deflate.serverMaxWindowBits) {
            WebSocketFrameWriter.write(opcode, payload: compressed, compressed: true, to: &buffer)
        } else {
            WebSocketFrameWriter.write(opcode, payload: payload, to: &buffer)
        }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    /// Sends a close frame with `code` and a short `reason`, then closes the channel once it is
    /// written (or after ``WebSocketServerOptions/closeTimeout`` if the peer does not read it).
    /// Call it on the connection's event loop; a second close does nothing.
    public func close(_ code: CloseCode, reason: String) {
        guard let context, !closeSent else { return }
        closeSent = true
        var buffer = context.channel.allocator.buffer(capacity: 128)
        WebSocketFrameWriter.write(.close, payload: WebSocketFrameWriter.closePayload(code: code, reason: reason), to: &buffer)
        closeAfterWriting(buffer, context: context)
    }

    // MARK: Outbound from the outbox (the hub's frames, coalesced per loop tick)

    func append(_ frame: OutboundFrame, from sink: WebSocketSink, touched: inout [WebSocketConnection]) {
        sink.queuedBytes.subtract(frame.bytes.count, ordering: .relaxed)
        guard let context, !closeSent else { return }
        var buffer = takePending(minimumCapacity: frame.bytes.count + 10, context: context, touched: &touched)
        if let deflate, let compressed = outbox.loopState.value.codec.compress(frame.bytes, windowBits: deflate.serverMaxWindowBits) {
            WebSocketFrameWriter.write(.text, payload: compressed, compressed: true, to: &buffer)
        } else {
            WebSocketFrameWriter.write(.text, payload: frame.bytes, to: &buffer)
        }
        pending = buffer
    }

    func appendPing(touched: inout [WebSocketConnection]) {
        guard let context, !closeSent else { return }
        var buffer = takePending(minimumCapacity: 2, context: context, touched: &touched)
        WebSocketFrameWriter.write(.ping, payload: [], to: &buffer)
        pending = buffer
    }

    func appendClose(_ code: CloseCode, _ reason: String, touched: inout [WebSocketConnection]) {
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
        touched: inout [WebSocketConnection]
    ) -> ByteBuffer {
        if let buffer = pending {
            pending = nil  // keep the buffer uniquely referenced while it grows
            return buffer
        }
        touched.append(self)
        return context.channel.allocator.buffer(capacity: max(minimumCapacity, 256))
    }

    // MARK: Direct writes

    func writeNow(_ opcode: WebSocketFrameWriter.Opcode, _ payload: ByteBuffer, context: ChannelHandlerContext) {
        guard !closeSent else { return }
        var buffer = context.channel.allocator.buffer(capacity: payload.readableBytes + 10)
        WebSocketFrameWriter.write(opcode, payload: payload, to: &buffer)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    /// Writes the last bytes (ending with a close frame) and closes the channel once they are
    /// out, or after the close timeout if the peer does not read them.
    private func closeAfterWriting(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        let channel = context.channel
        let deadline = context.eventLoop.scheduleTask(in: TimeAmount(options.closeTimeout)) { channel.close(promise: nil) }
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in
            deadline.cancel()
            channel.close(promise: nil)
        }
    }
}
