import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import StreamingApplication

/// Hummingbird's child channel for HTTP/1.1 with the streaming WebSocket endpoint.
///
/// Plain HTTP requests go to the application's router as usual. An upgrade request on
/// ``WebSocketServerOptions/path`` becomes a WebSocket served by SwiftNIO handlers
/// (``WebSocketConnection``), not by a Swift task: ``handle(value:logger:)`` returns
/// as soon as the upgrade is done, and the connection lives in its channel pipeline.
public struct StreamingWebSocketChannel: ServerChildChannel, HTTPChannelHandler {
    enum UpgradeResult: Sendable {
        case websocket
        case notUpgraded(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, HTTPResponse.Status, String)
    }

    public struct Value: ServerChildChannelValue {
        let upgradeResult: EventLoopFuture<UpgradeResult>
        public let channel: any Channel
    }

    public let responder: HTTPChannelHandler.Responder
    let admission: UpgradeAdmission
    let options: WebSocketServerOptions
    let http1: HTTP1Channel.Configuration
    let outboxes = EventLoopOutboxes()

    /// Creates the channel setup; see ``HTTPServerBuilder/streamingWebSocket(hub:options:http1:)``.
    public init(
        responder: @escaping HTTPChannelHandler.Responder,
        hub: ConnectionHub,
        options: WebSocketServerOptions,
        http1: HTTP1Channel.Configuration = .init()
    ) {
        self.init(responder: responder, service: .hub(hub), options: options, http1: http1)
    }

    /// Creates the channel setup for any ``WebSocketConsumer``; see
    /// ``HTTPServerBuilder/webSocket(options:maxMessageSize:http1:consumer:)``.
    public init(
        responder: @escaping HTTPChannelHandler.Responder,
        options: WebSocketServerOptions,
        maxMessageSize: Int,
        http1: HTTP1Channel.Configuration = .init(),
        consumer: @escaping @Sendable () -> any WebSocketConsumer
    ) {
        self.init(responder: responder, service: .custom(maxMessageSize: maxMessageSize, makeConsumer: consumer), options: options, http1: http1)
    }

    init(
        responder: @escaping HTTPChannelHandler.Responder,
        service: UpgradeAdmission.Service,
        options: WebSocketServerOptions,
        http1: HTTP1Channel.Configuration
    ) {
        self.responder = Self.redirectingLateUpgrades(responder)
        self.admission = UpgradeAdmission(service: service, options: options)
        self.options = options
        self.http1 = http1
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let decision = NIOLoopBoundBox<UpgradeAdmission.Decision?>(nil, eventLoop: channel.eventLoop)
            let upgrader = StreamingWebSocketUpgrader(
                maxFrameSize: admission.maxMessageSize,
                shouldUpgrade: { channel, head in
                    let verdict = admission.decide(head, peer: channel.remoteAddress)
                    decision.value = verdict
                    switch verdict {
                    case .accept(let accepted):
                        var headers = HTTPHeaders()
                        if let deflate = accepted.deflate { headers.add(name: "Sec-WebSocket-Extensions", value: deflate.responseHeader) }
                        return channel.eventLoop.makeSucceededFuture(headers)
                    case .refuse:
                        return channel.eventLoop.makeSucceededFuture(nil)
                    }
                },
                installHandlers: { channel in
                    guard case .accept(let accepted) = decision.value else {
                        throw NIOWebSocketUpgradeError.unsupportedWebSocketTarget
                    }
                    let handler = WebSocketConnection(
                        consumer: admission.makeConsumer(for: accepted),
                        options: options,
                        outbox: outboxes.outbox(for: channel.eventLoop),
                        deflate: accepted.deflate,
                        maxMessageSize: admission.maxMessageSize
                    )
                    try channel.pipeline.syncOperations.addHandler(handler)
                    return UpgradeResult.websocket
                }
            )
            let upgradeConfiguration = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandlers(http1.additionalChannelHandlers())
                        // As in Hummingbird's HTTP1Channel: closes a kept-alive connection when it is idle
                        // at a graceful shutdown (quiesce) or past the idle timeout. Without it, shutdown
                        // waits for every client to close its idle connection.
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPConnectionStateHandler(idleTimeout: http1.idleTimeout.map { .init($0) }, logger: logger)
                        )
                        // Lets a streaming response end as soon as its client has gone.
                        try channel.pipeline.syncOperations.addHandler(ClientGoneWatcher())
                        let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true)
                        )
                        if case .refuse(let status, let reason) = decision.value {
                            return UpgradeResult.refused(asyncChannel, status, reason)
                        }
                        return UpgradeResult.notUpgraded(asyncChannel)
                    }
                }
            )
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration(upgradeConfiguration: upgradeConfiguration)
            configuration.enablePipelining = false  // Hummingbird's NIOAsyncChannel serialises requests
            configuration.enableErrorHandling = false  // Hummingbird answers HTTP errors
            configuration.enableResponseHeaderValidation = false  // HTTPTypes already validates
            configuration.decoderConfiguration.maxHeaderFieldSize = http1.httpDecoder.maxHeaderFieldSize
            configuration.decoderConfiguration.maxHeaderListSize = http1.httpDecoder.maxHeaderListSize
            configuration.decoderConfiguration.maxHeaderFieldCount = http1.httpDecoder.maxHeaderFieldCount
            let result = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            return Value(upgradeResult: result, channel: channel)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgradeResult.get() {
            case .websocket:
                // The connection now lives in its NIO handlers; nothing to wait for here.
                return
            case .notUpgraded(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .refused(let http, let status, let reason):
                await refuse(http, status: status, reason: reason, logger: logger)
            }
        } catch {
            logger.debug("WebSocket upgrade failed", metadata: ["error": "\(error)"])
            try? await value.channel.close()
        }
    }

    private func refuse(
        _ asyncChannel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>,
        status: HTTPResponse.Status,
        reason: String,
        logger: Logger
    ) async {
        // The reason may quote the request (its origin, its path): encoded, not pasted.
        let body = ByteBuffer(bytes: ServerFrame.error(ProtocolFailure(Self.code(for: status), reason)).bytes)
        do {
            try await asyncChannel.executeThenClose { _, outbound in
                let head = HTTPResponse(
                    status: status,
                    headerFields: [.connection: "close", .contentType: "application/json", .contentLength: "\(body.readableBytes)"]
                )
                try await outbound.write(contentsOf: [.head(head), .body(body), .end(nil)])
            }
        } catch {
            logger.trace("could not answer a refused upgrade", metadata: ["error": "\(error)"])
        }
    }

    static func code(for status: HTTPResponse.Status) -> ProtocolErrorCode {
        switch status {
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .serviceUnavailable: .serverBusy
        case .notFound: .notFound
        default: .invalidMessage
        }
    }

    /// NIO only upgrades the first request of a connection. An upgrade request that arrives
    /// later on a kept-alive connection is redirected to the same URI with the connection
    /// closed, so the client retries on a fresh one (Hummingbird's WebSocket channel does the same).
    static func redirectingLateUpgrades(_ responder: @escaping HTTPChannelHandler.Responder) -> HTTPChannelHandler.Responder {
        struct RedirectedUpgrade: Error {}
        return { request, responseWriter, channel in
            guard request.headers[.upgrade]?.lowercased() == "websocket" else {
                try await responder(request, responseWriter, channel)
                return
            }
            let location = request.uri.query.map { "\(request.uri.path)?\($0)" } ?? request.uri.path
            try await responseWriter.writeResponse(
                HTTPResponse(status: .temporaryRedirect, headerFields: [.connection: "close", .location: location])
            )
            throw RedirectedUpgrade()
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with the streaming WebSocket endpoint: mount the real-time protocol into a
    /// Hummingbird application.
    ///
    /// ```swift
    /// let app = Application(router: router, server: .streamingWebSocket(hub: hub))
    /// ```
    /// Run `hub.run()` next to the application (a `ServiceGroup` does both) so heartbeats and
    /// agent streams run, and call `hub.shutdown()` on graceful shutdown.
    public static func streamingWebSocket(
        hub: ConnectionHub,
        options: WebSocketServerOptions = WebSocketServerOptions(),
        http1: HTTP1Channel.Configuration = .init()
    ) -> HTTPServerBuilder {
        .init { responder in
            StreamingWebSocketChannel(responder: responder, hub: hub, options: options, http1: http1)
        }
    }

    /// HTTP/1.1 with a WebSocket endpoint served by the same frame layer as
    /// ``streamingWebSocket(hub:options:http1:)``, for any ``WebSocketConsumer``: `consumer`
    /// makes one per accepted connection, on its event loop. The `EchoServer` example uses it.
    ///
    /// Only the path, the allowed origins and compression of `options` decide the upgrade;
    /// the consumer decides everything else.
    public static func webSocket(
        options: WebSocketServerOptions = WebSocketServerOptions(),
        maxMessageSize: Int,
        http1: HTTP1Channel.Configuration = .init(),
        consumer: @escaping @Sendable () -> any WebSocketConsumer
    ) -> HTTPServerBuilder {
        .init { responder in
            StreamingWebSocketChannel(responder: responder, options: options, maxMessageSize: maxMessageSize, http1: http1, consumer: consumer)
        }
    }
}
