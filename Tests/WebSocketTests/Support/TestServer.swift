import Hummingbird
import Logging
import NIOCore
import RAAFStreaming
import ServiceLifecycle
import StreamingTestSupport
import StreamingWebSocket
import Synchronization

/// A real server for the tests: Hummingbird with the streaming WebSocket endpoint on a free
/// loopback port, the hub running beside it, the offline model behind the demo agents.
struct TestServer: Sendable {
    let hub: ConnectionHub
    let port: Int

    var url: String { "ws://127.0.0.1:\(port)/ws" }
    var httpURL: String { "http://127.0.0.1:\(port)" }

    /// Runs `body` against a fresh server, then shuts it down gracefully.
    static func run<Result: Sendable>(
        hubOptions: ConnectionHubOptions = ConnectionHubOptions(),
        streamOptions: AgentStreamOptions = AgentStreamOptions(),
        options: WebSocketServerOptions = WebSocketServerOptions(),
        provider: any ModelProvider = ScriptedModelProvider(),
        authenticate: (@Sendable (String) -> String?)? = nil,
        port: Int = 0,
        _ body: (TestServer) async throws -> Result
    ) async throws -> Result {
        let streams = AgentStreamService(
            runner: AgentRunner(provider: provider),
            agents: { DemoAgents.all[$0] },
            options: streamOptions
        )
        let hub = ConnectionHub(options: hubOptions, streams: streams, authenticate: authenticate)
        let boundPort = Locked<Int?>(nil)
        var logger = Logger(label: "test-server")
        logger.logLevel = .warning
        let app = Application(
            router: Router(),
            server: .streamingWebSocket(hub: hub, options: options),
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            services: [ConnectionHubService(hub: hub)],
            onServerRunning: { channel in boundPort.withLock { $0 = channel.localAddress?.port } },
            logger: logger
        )
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await waitUntil("the test server to listen") { boundPort.value != nil }
                let result = try await body(TestServer(hub: hub, port: boundPort.value!))
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}
