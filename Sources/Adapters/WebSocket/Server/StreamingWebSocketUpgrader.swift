import NIOCore
import NIOHTTP1
import NIOWebSocket

/// NIO's WebSocket upgrade handshake with this server's own pipeline behind it.
///
/// `NIOTypedWebSocketServerUpgrader` answers the handshake (the `Sec-WebSocket-Accept`
/// digest); its pipeline step is replaced because it installs NIO's frame encoder, and this
/// server writes ready-made frame bytes, many per write (see ``WebSocketFrameWriter``).
struct StreamingWebSocketUpgrader<UpgradeResult: Sendable>: NIOTypedHTTPServerProtocolUpgrader {
    let supportedProtocol = "websocket"
    let requiredUpgradeHeaders: [String] = []

    private let handshake: NIOTypedWebSocketServerUpgrader<UpgradeResult>
    private let maxFrameSize: Int
    private let installHandlers: @Sendable (any Channel) throws -> UpgradeResult

    init(
        maxFrameSize: Int,
        shouldUpgrade: @escaping @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<HTTPHeaders?>,
        installHandlers: @escaping @Sendable (any Channel) throws -> UpgradeResult
    ) {
        self.maxFrameSize = maxFrameSize
        self.installHandlers = installHandlers
        self.handshake = NIOTypedWebSocketServerUpgrader(
            maxFrameSize: maxFrameSize,
            enableAutomaticErrorHandling: false,
            shouldUpgrade: shouldUpgrade,
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeFailedFuture(NIOWebSocketUpgradeError.unsupportedWebSocketTarget)
            }
        )
    }

    func buildUpgradeResponse(
        channel: any Channel,
        upgradeRequest: HTTPRequestHead,
        initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        handshake.buildUpgradeResponse(channel: channel, upgradeRequest: upgradeRequest, initialResponseHeaders: initialResponseHeaders)
    }

    func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<UpgradeResult> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxFrameSize))
            )
            return try installHandlers(channel)
        }
    }
}
