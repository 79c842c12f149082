import CompressNIO
import NIOCore
import NIOWebSocket
import StreamingApplication

/// The per-connection WebSocket layer: a SwiftNIO handler, WebSocket frames in, bytes out.
///
/// It speaks the protocol (RFC 6455, RFC 7692) and nothing more: masking, reserved bits,
/// fragmentation, control frames, UTF-8 checks (fragment by fragment, so a bad text message
/// fails fast), the closing handshake and permessage-deflate. Whole messages go to its
/// ``WebSocketConsumer``; the consumer answers with ``send(_:)`` and ``close(_:reason:)``.
///
/// It owns no task. An idle connection is this object, its consumer and NIO's channel: no
/// parked Swift task per client. All of it runs on the channel's event loop.
public final class WebSocketConnection: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = WebSocketFrame
    public typealias OutboundOut = ByteBuffer

    let consumer: any WebSocketConsumer
    let options: WebSocketServerOptions
    let outbox: EventLoopOutbox
    let deflate: PerMessageDeflate.Parameters?
    /// The largest message accepted, after decompression.
    let maxMessageSize: Int
    /// The byte budget of the channel's write buffer (its high-water mark).
    let bufferSize: Int

    private(set) var context: ChannelHandlerContext?
    /// Whether the consumer took the connection; nothing is delivered before, or after it ended.
    private var isOpen = false
    private var ended = false
    /// Whether the consumer was told the connection was lost (``WebSocketConsumer/lost(reason:)``).
    private var lostReported = false
    /// Whether the peer closed its side of the TCP connection (a FIN without a close frame).
    private var peerClosedInput = false
    /// The message still arriving, fragment by fragment.
    private var partial: PartialMessage?
    /// Bytes appended during this loop tick by the outbox, written and flushed at its end.
    var pending: ByteBuffer?
    var closeSent = false

    struct PartialMessage {
        var payload: ByteBuffer
        var isText: Bool
        var isCompressed: Bool
        var utf8 = UTF8Validation.Incremental()
    }

    init(
        consumer: any WebSocketConsumer,
        options: WebSocketServerOptions,
        outbox: EventLoopOutbox,
        deflate: PerMessageDeflate.Parameters?,
        maxMessageSize: Int
    ) {
        self.consumer = consumer
        self.options = options
        self.outbox = outbox
        self.deflate = deflate
        self.maxMessageSize = deflate != nil ? min(maxMessageSize, options.maxDecompressedMessageSize) : maxMessageSize
        self.bufferSize = max(options.bufferSize, 1024)
    }

    /// The connection's channel.
    public var channel: (any Channel)? { context?.channel }

    // MARK: Lifecycle

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        context.channel.setOption(ChannelOptions.writeBufferWaterMark, value: .init(low: bufferSize / 2, high: bufferSize))
            .whenFailure { _ in }
        guard consumer.opened(self) else {
            // Over capacity after the upgrade raced another: the consumer said why, if it could.
            close(.tryAgainLater, reason: "server busy")
            return
        }
        isOpen = true
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        end()
        self.context = nil
    }

    public func channelInactive(context: ChannelHandlerContext) {
        if isOpen, !ended, !isClosing, !lostReported {
            // Gone without a closing handshake (RFC 6455's 1006), and no read error said why:
            // NIO closes a channel whose write failed, or whose socket was reset, without
            // reporting an error to the pipeline; and a peer that closed its socket in order
            // lands here through `inputClosed`.
            lostReported = true
            consumer.lost(
                reason: peerClosedInput
                    ? "the peer closed the TCP connection without a close frame"
                    : "the connection was reset or a write to it failed")
        }
        end()
        context.fireChannelInactive()
    }

    /// Tells the consumer the connection is over, once, and lets go of what this tick queued.
    private func end() {
        partial = nil
        pending = nil
        guard isOpen, !ended else { return }
        ended = true
        consumer.closed()
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        reportRoom()
        context.fireChannelWritabilityChanged()
    }

    /// Tells the consumer there is room, if the channel takes bytes; when it does not, its
    /// writability change calls this later.
    func reportRoom() {
        if let context, context.channel.isWritable, isOpen, !ended { consumer.writable() }
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // The peer closed its socket without a closing handshake (a cut: RFC 6455's 1006).
            // Hummingbird allows half-closure, so without this the connection would stay
            // registered, and its memory held, until a heartbeat found it silent.
            peerClosedInput = true
            context.close(promise: nil)
            return
        }
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // Hummingbird's graceful shutdown waits for every child channel to close.
        if isOpen, !ended, !isClosing {
            consumer.quiesce(self)
        } else {
            context.close(promise: nil)
        }
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard isOpen, !ended else {
            context.close(promise: nil)
            return
        }
        // Once a close is queued, the frame decoder reports whatever the peer still sends
        // (the rest of an oversized frame) as errors: closing now would lose the error and
        // close frames queued before them. The channel closes once they are written.
        guard !isClosing else { return }
        switch error {
        case NIOWebSocketError.invalidFrameLength:
            consumer.violated(.messageTooLarge(limit: maxMessageSize), on: self)
        case let error as NIOWebSocketError:
            consumer.violated(.framing("\(error)"), on: self)
        case is IOError, is ChannelError:
            // The peer is gone (a failed write or read); nothing more can be said to it.
            lostReported = true
            consumer.lost(reason: "\(error)")
            context.close(promise: nil)
        default:
            failInternally("\(error)")
        }
    }

    /// Whether a close frame is queued or sent: nothing more from the peer is acted on.
    var isClosing: Bool { closeSent || consumer.isClosing }

    /// Ends a connection whose handling on this server failed: close code 1011.
    private func failInternally(_ detail: String) {
        close(.internalError, reason: "internal error")
    }

    // MARK: Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard isOpen, !ended, !isClosing else { return }
        guard let maskKey = frame.maskKey else { return violated(.framing("client frames must be masked")) }
        let isData = frame.opcode == .text || frame.opcode == .binary
        guard !frame.rsv2, !frame.rsv3, !frame.rsv1 || (deflate != nil && isData) else {
            return violated(.framing("reserved bits set"))
        }
        var payload = frame.data
        payload.webSocketUnmask(maskKey)

        switch frame.opcode {
        case .text, .binary:
            guard partial == nil else { return violated(.framing("a new message began before the last one ended")) }
            var message = PartialMessage(payload: payload, isText: frame.opcode == .text, isCompressed: frame.rsv1)
            if frame.fin {
                deliver(message, validated: false)
                return
            }
            guard payload.readableBytes <= maxMessageSize else { return violated(.messageTooLarge(limit: maxMessageSize)) }
            if message.isText, !message.isCompressed, !payload.withUnsafeReadableBytes({ message.utf8.feed($0) }) {
                return violated(.invalidUTF8)
            }
            partial = message
        case .continuation:
            guard var message = partial else { return violated(.framing("a continuation frame without a message")) }
            partial = nil  // keep the buffer uniquely referenced while it grows
            guard message.payload.readableBytes + payload.readableBytes <= maxMessageSize else {
                return violated(.messageTooLarge(limit: maxMessageSize))
            }
            if message.isText, !message.isCompressed, !payload.withUnsafeReadableBytes({ message.utf8.feed($0) }) {
                return violated(.invalidUTF8)
            }
            message.payload.writeBuffer(&payload)
            if frame.fin {
                deliver(message, validated: message.isText && !message.isCompressed)
            } else {
                partial = message
            }
        case .ping:
            consumer.heard()
            writeNow(.pong, payload, context: context)
        case .pong:
            consumer.heard()
        case .connectionClose:
            receivedClose(payload)
        default:
            violated(.framing("unknown opcode"))
        }
    }

    private func violated(_ violation: ProtocolViolation) {
        partial = nil
        consumer.violated(violation, on: self)
    }

    /// Inflates, checks and hands over one whole message. `validated`: its UTF-8 was checked
    /// fragment by fragment, and only its end remains to be checked.
    private func deliver(_ message: PartialMessage, validated: Bool) {
        var payload = message.payload
        if message.isCompressed {
            do {
                payload = try outbox.loopState.value.codec.decompress(payload, limit: maxMessageSize)
            } catch DeflateError.tooLarge {
                return violated(.messageTooLarge(limit: maxMessageSize))
            } catch DeflateError.corrupt {
                return violated(.framing("the compressed message could not be inflated"))
            } catch {
                return failInternally("inflating a message failed: \(error)")
            }
        }
        guard payload.readableBytes <= maxMessageSize else { return violated(.messageTooLarge(limit: maxMessageSize)) }
        if message.isText {
            let valid = validated ? message.utf8.isComplete : payload.withUnsafeReadableBytes { UTF8Validation.isValid($0) }
            guard valid else { return violated(.invalidUTF8) }
        }
        do {
            try consumer.received(message.isText ? .text(payload) : .binary(payload), on: self)
        } catch {
            failInternally("\(error)")
        }
    }

    private func receivedClose(_ payload: ByteBuffer) {
        var payload = payload
        var code = CloseCode.normal
        if payload.readableBytes == 1 {
            code = .protocolError
        } else if let raw = payload.readInteger(as: UInt16.self) {
            // Echo the peer's code only when it may appear in a close frame (RFC 6455 7.4).
            code = CloseCode.mayBeSent(raw) ? CloseCode(rawValue: raw) : .protocolError
            // The reason must be UTF-8 (RFC 6455 5.5.1).
            if code != .protocolError, !payload.withUnsafeReadableBytes({ UTF8Validation.isValid($0) }) {
                code = .invalidPayload
            }
        }
        end()
        // Answer the closing handshake with the peer's code, then end the connection.
        close(code, reason: "")
    }
}
