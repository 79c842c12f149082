import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import StreamingApplication
import StreamingTestSupport
import StreamingWebSocket
import Synchronization

/// A real server whose WebSocket connections go to a consumer of the test's choosing, on the
/// frame layer `serve` uses (``HTTPServerBuilder/webSocket(options:maxMessageSize:http1:consumer:)``).
struct ConsumerServer: Sendable {
    let port: Int

    var url: String { "ws://127.0.0.1:\(port)/ws" }

    static func run<Result: Sendable>(
        options: WebSocketServerOptions = WebSocketServerOptions(),
        maxMessageSize: Int = 1 << 20,
        consumer: @escaping @Sendable () -> any WebSocketConsumer,
        _ body: (ConsumerServer) async throws -> Result
    ) async throws -> Result {
        let boundPort = Locked<Int?>(nil)
        var logger = Logger(label: "consumer-server")
        logger.logLevel = .warning
        let app = Application(
            router: Router(),
            server: .webSocket(options: options, maxMessageSize: maxMessageSize, consumer: consumer),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in boundPort.withLock { $0 = channel.localAddress?.port } },
            logger: logger
        )
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await waitUntil("the consumer server to listen") { boundPort.value != nil }
                let result = try await body(ConsumerServer(port: boundPort.value!))
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

/// Echoes messages, and fails (throws) on the text "fail": a server-side handling failure.
final class FailingEchoConsumer: WebSocketConsumer {
    struct HandlingFailed: Error {}

    func opened(_ connection: WebSocketConnection) -> Bool { true }

    func received(_ message: WebSocketMessage, on connection: WebSocketConnection) throws {
        if case .text(let text) = message, String(buffer: text) == "fail" { throw HandlingFailed() }
        connection.send(message)
    }

    func violated(_ violation: ProtocolViolation, on connection: WebSocketConnection) {
        connection.close(violation.closeCode, reason: violation.closeReason)
    }

    func closed() {}
}
