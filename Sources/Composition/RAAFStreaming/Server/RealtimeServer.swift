import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import StreamingApplication
import StreamingDomain
import StreamingWebSocket
import Synchronization
import UnixSignals

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The real-time server of a ``StreamingSystem``: a ``ConnectionHub`` with its agent streams
/// and chat rooms (``ChatService``) behind one Hummingbird HTTP server (the WebSocket endpoint
/// on `websocket.path`, the chat page on `/`, Server-Sent Events, `/health`, `/stats`,
/// `/metrics`), run together in a swift-service-lifecycle `ServiceGroup`.
///
/// The HTTP routes answer browsers on other origins (CORS) from `websocket.allowed_origins`,
/// the WebSocket endpoint's allow-list; `server.admin_token` guards `/stats` and `/metrics`,
/// and `server.admin_port` moves them (with the health probes) to a port of their own;
/// `server.trusted_proxies` names the proxies whose forwarding headers name the client.
///
/// ```swift
/// let system = try Streaming.configure()
/// let server = RealtimeServer(system: system)
/// try await server.run()   // until SIGTERM or SIGINT, then a graceful shutdown
/// ```
///
/// A graceful shutdown (SIGTERM or SIGINT, or ``shutdown()``) first drains, so a deploy loses
/// no answer in flight (``ConnectionHub/drain(grace:work:stopNow:pollInterval:)``): new
/// WebSocket connections are refused with 503, new streams and chat answers with
/// `shutting_down`, `/health/ready` answers 503, idle connections are closed with 1012 (the
/// client reconnects at once, to another node), and every running stream and chat answer goes
/// on to its end, its connection closed with 1012 after it. Once the last one ends, or when
/// `server.shutdown_grace` runs out, or at a second SIGTERM or SIGINT (or ``stopDrainNow()``),
/// what still runs is stopped, each stream with a final `error` frame coded `shutting_down`.
/// Then the chat rooms and the hub shut down and the HTTP server stops accepting and finishes
/// its in-flight requests.
///
/// Pass port 0 to let the system pick a free port and read it from ``waitUntilListening()``.
public final class RealtimeServer: Sendable {
    /// The system the server runs agents with.
    public let system: StreamingSystem
    /// The connections, channels and agent streams the server serves.
    public let hub: ConnectionHub
    /// The chat rooms, spoken over the hub's WebSocket protocol.
    public let chat: ChatService
    /// The Prometheus metrics served on `/metrics`.
    public let metrics: StreamingMetrics
    /// The address the server binds to.
    public let host: String
    /// This server as a node of a cluster (`REDIS_URL`), or `nil` for a single node.
    public let cluster: ClusterNode?

    private let group: ServiceGroup
    private let listening: ListeningState
    private let adminListening: ListeningState?
    private let handlesSignals: Bool
    /// Set to end a drain at once (a second signal, ``stopDrainNow()``).
    private let drainStop = OneWaySignal()
    /// SIGTERMs and SIGINTs received: the first starts the drain, the second ends it.
    private let signalsReceived = Atomic<Int>(0)

    /// Creates a server; nothing listens until ``run()``.
    /// - Parameters:
    ///   - host: The bind address; `websocket.host` when `nil`.
    ///   - port: The port; `websocket.port` when `nil`, any free port when 0.
    ///   - jobQueue: A job queue whose figures `/stats` and `/metrics` report.
    ///   - processor: A background processor whose figures (and its queue's) they report;
    ///     the server does not run it.
    ///   - chatStore: Where chat rooms are kept; the store of `chat.store` when `nil`. A node of
    ///     a cluster (`REDIS_URL`) keeps them in the cluster's Redis: pass `nil` there.
    ///   - handlesSignals: Whether SIGTERM and SIGINT start a graceful shutdown. Tests that
    ///     run a server inside the test process pass `false` and call ``shutdown()``.
    ///   - authenticate: Verifies a client's token and returns the identity it names, or `nil`
    ///     to refuse it; when set, clients must authenticate. `nil` uses the tokens of
    ///     `websocket.authTokens` (`WEBSOCKET_AUTH_TOKENS`), and no authentication when there are none.
    ///
    /// Once it listens, a server bound beyond loopback (`0.0.0.0` by default) with
    /// authentication off and a remote model configured logs one warning saying what any
    /// client can do there and how to require authentication.
    public init(
        system: StreamingSystem,
        host: String? = nil,
        port: Int? = nil,
        jobQueue: (any JobQueue)? = nil,
        processor: BackgroundProcessor? = nil,
        chatStore: (any ChatStore)? = nil,
        handlesSignals: Bool = true,
        authenticate: (@Sendable (String) -> String?)? = nil
    ) throws {
        let configuration = system.configuration
        let logger = system.logger(LogLabel.websocket)
        let cluster = try system.makeClusterNode()
        let streams = Self.makeStreamService(system, cluster: cluster?.streams)
        let hub = ConnectionHub(
            options: Self.hubOptions(configuration.websocket),
            streams: streams,
            authenticate: authenticate ?? Self.tokenVerifier(configuration.websocket.authTokens),
            broadcaster: cluster?.broadcaster,
            logger: logger
        )
        let store = try Self.chatStore(chatStore, of: system, clustered: cluster != nil)
        let chat = system.chatService(hub: hub, store: store, ledger: cluster?.chatLedger)
        let metrics = StreamingMetrics()
        let figures = ServerFigures(
            hub: hub, chat: chat, metrics: metrics, jobQueue: jobQueue, processor: processor,
            provider: system.provider, logger: logger, systemSections: { system.systemSections() })
        system.parts.register(server: figures)
        let health = HealthChecker(
            components: Self.healthComponents(system, store: store, jobQueue: processor?.queue ?? jobQueue),
            memory: { ProcessMemory.residentBytes() })
        let trustedProxies = TrustedProxies(parsing: configuration.server.trustedProxies) ?? TrustedProxies()
        let routes = StreamingHTTPRoutes(
            hub: hub,
            options: .init(
                enableSSE: configuration.streaming.enableSSE,
                maxRequestBodySize: configuration.websocket.maxMessageSize,
                extraStats: { await figures.statsSections() },
                metrics: { await figures.metricsText() },
                health: health,
                keepAlive: configuration.streaming.sseKeepalive,
                adminToken: configuration.server.adminToken,
                trustedProxies: trustedProxies
            )
        )
        let router = Router(context: StreamingRequestContext.self)
        // One allow-list for every browser-facing route: the WebSocket endpoint's.
        router.add(middleware: CrossOriginMiddleware(allowedOrigins: Set(configuration.websocket.allowedOrigins)))
        routes.registerStreams(on: router)
        routes.registerHealth(on: router)
        if configuration.server.adminPort == nil { routes.registerAdmin(on: router) }
        ChatPageRoutes(path: "/").register(on: router)
        hub.onConnect { connection in
            logger.debug(
                "connection opened",
                metadata: ["connection": "\(connection.id)", "client_address": "\(connection.remoteAddress ?? "-")"])
        }

        let listening = ListeningState()
        let bindHost = host ?? configuration.websocket.host
        let exposure = ExposureWarning(
            host: bindHost, configuration: configuration, authenticates: hub.requiresAuthentication)
        let application = Application(
            router: router,
            // The WebSocket endpoint (upgrades on `websocket.path`) in front of this router,
            // which serves every request that is not an upgrade.
            server: .streamingWebSocket(
                hub: hub, options: Self.webSocketOptions(configuration.websocket, trustedProxies: trustedProxies)),
            configuration: ApplicationConfiguration(
                address: .hostname(bindHost, port: port ?? configuration.websocket.port),
                serverName: "raaf-streaming"
            ),
            onServerRunning: { channel in
                // Logged before the server counts as listening, so the warning comes before
                // `serve`'s "listening on" line.
                if let exposure { logger.warning("\(exposure.message(port: channel.localAddress?.port))") }
                listening.bound(to: channel.localAddress)
            },
            logger: logger
        )

        let adminListening = ListeningState()
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: application)]
        if let adminPort = configuration.server.adminPort {
            // The operators' endpoints on a port of their own: stats, metrics, health probes.
            let adminRouter = Router(context: StreamingRequestContext.self)
            routes.registerHealth(on: adminRouter)
            routes.registerAdmin(on: adminRouter)
            services.append(
                .init(
                    service: Application(
                        router: adminRouter,
                        configuration: ApplicationConfiguration(
                            address: .hostname(bindHost, port: adminPort), serverName: "raaf-streaming-admin"),
                        onServerRunning: { channel in adminListening.bound(to: channel.localAddress) },
                        logger: logger
                    )
                )
            )
        }

        self.system = system
        self.cluster = cluster
        self.hub = hub
        self.adminListening = configuration.server.adminPort == nil ? nil : adminListening
        self.chat = chat
        self.metrics = metrics
        self.host = bindHost
        self.listening = listening
        self.handlesSignals = handlesSignals
        // Graceful shutdown runs in reverse order: the drain first (while the HTTP server
        // still answers, so it can refuse with 503), then chat (nothing left to stop; every
        // message is written), then the hub, then the HTTP server, which waits for its
        // in-flight requests.
        self.group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services + [
                    .init(service: ConnectionHubService(hub: hub)),
                    .init(service: ChatRoomsService(chat: chat)),
                    .init(service: MemoryTrimService()),
                    .init(
                        service: DrainService(
                            hub: hub, work: [chat.drainWork], grace: configuration.server.shutdownGrace, stopNow: drainStop)
                    ),
                ],
                gracefulShutdownSignals: handlesSignals ? [.sigterm, .sigint] : [],
                logger: logger
            )
        )
    }

    /// Runs the server until a graceful shutdown completes; call it once.
    ///
    /// - Throws: When the server cannot start (the port is taken) or a service fails.
    public func run() async throws {
        // swift-service-lifecycle acts on the first signal only: a second one during the
        // drain stops it at once.
        // Trapped before the server starts, so no signal falls between.
        let signals = handlesSignals ? await UnixSignalsSequence(trapping: .sigterm, .sigint) : nil
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            if let signals {
                tasks.addTask { [self] in
                    for await _ in signals where signalsReceived.add(1, ordering: .relaxed).newValue >= 2 { drainStop.set() }
                }
            }
            defer { tasks.cancelAll() }
            do {
                try await group.run()
            } catch {
                await cluster?.close()
                listening.ended(error)
                adminListening?.ended(error)
                throw error
            }
            await cluster?.close()
            listening.ended(nil)
            adminListening?.ended(nil)
        }
    }

    /// Starts a graceful shutdown; ``run()`` returns once it is complete. Safe to call at any
    /// time, also before ``run()`` (the server then stops as soon as it has started).
    public func shutdown() async {
        await group.triggerGracefulShutdown()
    }

    /// Ends a drain at once: the streams and answers still running are stopped, each with
    /// its final `shutting_down` frame (what a second SIGTERM does). Before a shutdown it
    /// makes the next drain stop at once.
    public func stopDrainNow() {
        drainStop.set()
    }

    /// The port the server listens on, once it does.
    public var port: Int? { listening.address?.port }

    /// The URL the server listens on, such as `http://127.0.0.1:8080`, once it does.
    public var url: String? { listening.address?.url }

    /// The URL of the operators' port (`server.admin_port`), once it listens; `nil` without one.
    public var adminURL: String? { adminListening?.address?.url }

    /// Waits until the server listens (and its admin port, when it has one) and returns its port.
    ///
    /// - Throws: ``RealtimeServerError/stoppedBeforeListening`` (or the error that stopped
    ///   it) when ``run()`` ends first.
    @discardableResult
    public func waitUntilListening() async throws -> Int {
        let port = try await listening.wait().port
        if let adminListening { _ = try await adminListening.wait() }
        return port
    }

    // MARK: Wiring

    /// The stream service of `system`: its runner and pipeline, its agents by name, the replay
    /// limits of `streaming.*`.
    static func makeStreamService(_ system: StreamingSystem, cluster: StreamCluster? = nil) -> AgentStreamService {
        let agents = system.agents
        let streaming = system.configuration.streaming
        return AgentStreamService(
            runner: system.runner,
            agents: { agents[$0] },
            pipeline: system.pipeline(),
            options: AgentStreamOptions(
                maxReplayFrames: streaming.replayBufferFrames,
                retention: streaming.replayRetention,
                maxRetainedStreams: streaming.maxRetainedStreams,
                maxActiveStreams: streaming.maxActiveStreams
            ),
            cluster: cluster,
            logger: system.logger(LogLabel.streaming)
        )
    }

    /// What `/health` checks: the chat store (a write for SQLite), the job queue when the
    /// server has one (a Redis round trip, a SQLite write), and the model provider (its
    /// configuration: the remote endpoint or the offline model; no model call is made).
    static func healthComponents(
        _ system: StreamingSystem, store: any ChatStore, jobQueue: (any JobQueue)?
    ) -> [HealthComponent] {
        var components = [HealthComponent("chat_store") { try await store.healthCheck() }]
        if let jobQueue {
            components.append(HealthComponent("job_queue") { try await jobQueue.healthCheck(now: Date()) })
        }
        let provider = system.configuration.provider
        let model = provider.usesRemoteModel
            ? "OpenAI-compatible endpoint \(URLCredentials.masked(provider.resolvedBaseURL)), model \(provider.model)"
            : "offline scripted model"
        components.append(HealthComponent("model_provider") { model })
        return components
    }

    /// The transport settings of the WebSocket endpoint; decompressed messages are held to the
    /// same limit as plain ones.
    static func webSocketOptions(
        _ websocket: WebSocketSettings, trustedProxies: TrustedProxies = TrustedProxies()
    ) -> WebSocketServerOptions {
        WebSocketServerOptions(
            path: websocket.path,
            bufferSize: websocket.bufferSize,
            enableCompression: websocket.enableCompression,
            maxDecompressedMessageSize: websocket.maxMessageSize,
            allowedOrigins: Set(websocket.allowedOrigins),
            trustedProxies: trustedProxies
        )
    }

    static func hubOptions(_ websocket: WebSocketSettings) -> ConnectionHubOptions {
        ConnectionHubOptions(
            maxConnections: websocket.maxConnections,
            maxMessageSize: websocket.maxMessageSize,
            messagesPerMinute: websocket.messagesPerMinute,
            heartbeatInterval: websocket.heartbeatInterval
        )
    }

    /// A lookup in `tokens` (token → identity), or `nil` (authentication off) when there are none.
    static func tokenVerifier(_ tokens: [String: String]) -> (@Sendable (String) -> String?)? {
        guard !tokens.isEmpty else { return nil }
        return { tokens[$0] }
    }
}

/// Why ``RealtimeServer/waitUntilListening()`` failed.
public enum RealtimeServerError: Error, Sendable, Equatable {
    /// ``RealtimeServer/run()`` ended before the server listened.
    case stoppedBeforeListening
}

/// Drains the hub at the start of a graceful shutdown; the last service of the group, so the
/// first to shut down, while the HTTP server still answers (refusals, `/health/ready`).
struct DrainService: Service {
    let hub: ConnectionHub
    let work: [DrainWork]
    let grace: Duration
    let stopNow: OneWaySignal

    func run() async {
        // Returns when the group's graceful shutdown begins (throws when cancelled: drain at
        // once then, which `drain` does for a cancelled task).
        try? await gracefulShutdown()
        await hub.drain(grace: grace, work: work, stopNow: stopNow)
    }
}

/// Runs a ``ConnectionHub`` as a swift-service-lifecycle service, beside the HTTP server:
/// its heartbeats and agent streams run until a graceful shutdown, which shuts the hub down
/// (close 1001, runs cancelled).
///
/// ```swift
/// let app = Application(router: router, server: .streamingWebSocket(hub: hub),
///                       services: [ConnectionHubService(hub: hub)])
/// ```
public struct ConnectionHubService: Service {
    public let hub: ConnectionHub

    public init(hub: ConnectionHub) { self.hub = hub }

    public func run() async {
        await withGracefulShutdownHandler {
            await hub.run()
        } onGracefulShutdown: {
            hub.shutdown()
        }
        // Someone may call `hub.shutdown()` directly; `hub.run()` then returns early, and a
        // service that ends before the group's shutdown would end the whole group.
        try? await gracefulShutdown()
    }
}
