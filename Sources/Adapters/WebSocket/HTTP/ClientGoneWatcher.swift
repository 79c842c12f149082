import NIOCore
import StreamingApplication

/// Notices that an HTTP client has gone: its half of the connection closed (Hummingbird allows
/// remote half-closure, so a client that closes its socket shows only as the end of input) or
/// the whole connection did.
///
/// A streaming response (SSE) looks it up with ``signal(of:)`` and stops at once instead of
/// staying parked until the stream's next frame, whose write would fail.
final class ClientGoneWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    let gone = OneWaySignal()

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { gone.set() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        gone.set()
        context.fireChannelInactive()
    }

    /// The signal of the watcher on `channel`, or `nil` when its pipeline has none.
    static func signal(of channel: any Channel) async -> OneWaySignal? {
        try? await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: ClientGoneWatcher.self).gone
        }.get()
    }
}
