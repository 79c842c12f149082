// The server under test: Hummingbird with the streaming WebSocket endpoint, in this process
// on the shared NIO event loops (threads named NIO-SGLTN-*), so its CPU is read per thread.
import Hummingbird
import Logging
import NIOCore
import RAAFStreaming
import ServiceLifecycle
import StreamingWebSocket
import Synchronization

struct BenchServer {
    let hub: ConnectionHub
    let port: Int
    /// The chat service on the hub, when `run` was given one.
    let chat: ChatService?

    /// The prefix of the server's event-loop thread names.
    static let threadPrefix = "NIO-SGLTN"

    /// Runs the server for `body`; `chat` may put a ``ChatService`` on the hub, which then
    /// runs beside it.
    static func run<Result>(
        chat makeChat: ((ConnectionHub) throws -> ChatService)? = nil,
        _ body: (BenchServer) async throws -> Result
    ) async throws -> Result {
        let streams = AgentStreamService(runner: AgentRunner(provider: ScriptedModelProvider()), agents: { _ in nil })
        let hub = ConnectionHub(
            options: ConnectionHubOptions(maxConnections: 20_000, messagesPerMinute: 1_000_000_000),
            streams: streams
        )
        let chat = try makeChat?(hub)
        var services: [any Service] = [ConnectionHubService(hub: hub)]
        if let chat { services.append(ChatRoomsService(chat: chat)) }
        let boundPort = Mutex<Int?>(nil)
        var logger = Logger(label: "bench-server")
        logger.logLevel = .error
        let app = Application(
            router: Router(),
            server: .streamingWebSocket(hub: hub, options: WebSocketServerOptions(bufferSize: 4 << 20, enableCompression: false)),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), backlog: 4096),
            services: services,
            onServerRunning: { channel in boundPort.withLock { $0 = channel.localAddress?.port } },
            logger: logger
        )
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            while boundPort.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(5)) }
            let result = try await body(BenchServer(hub: hub, port: boundPort.withLock { $0 }!, chat: chat))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }
}
