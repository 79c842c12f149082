import AsyncHTTPClient
import Foundation
import HummingbirdWSClient
import Logging
import NIOPosix
import RAAFStreaming
import StreamingTestSupport
import Testing

/// `RealtimeServer` end to end: the WebSocket endpoint and the HTTP routes on one port, one hub.
@Suite("RealtimeServer: WebSocket and HTTP on one port")
struct RealtimeServerTests {
    @Test("a stream started over WebSocket can be followed over SSE, frame for frame; /stats and /metrics count the connection")
    func webSocketThenEventStream() async throws {
        try await HTTPTestServer.with({ $0.websocket.path = "/realtime"; $0.streaming.chunkSize = 16 }) { server in
            let wsURL = server.baseURL.replacingOccurrences(of: "http://", with: "ws://") + "/realtime"
            let frames = Locked<[String]>([])
            let connectedFigures = Locked<(connections: Int?, metric: Double?)>((nil, nil))
            var logger = Logger(label: "ws-test-client")
            logger.logLevel = .warning
            try await WebSocketClient.connect(url: wsURL, logger: logger) { inbound, outbound, _ in
                // Figures while this client is connected.
                let stats = try await server.get("/stats").json()
                let metrics = try PrometheusText(try await server.get("/metrics").text())
                let figures = (stats["connections"] as? Int, metrics.value("raaf_websocket_connections"))
                connectedFigures.withLock { $0 = figures }

                try await outbound.write(
                    .text(#"{"type":"agent_stream","id":"ws-1","agent":"assistant","input":"weather in Lima"}"#))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
                    guard object?["id"] as? String == "ws-1" else { continue }  // `connected` and the like
                    frames.withLock { $0.append(text) }
                    if ["complete", "error"].contains(object?["type"] as? String) { break }
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
            #expect(connectedFigures.value.connections == 1)
            #expect(connectedFigures.value.metric == 1)

            let overWebSocket = frames.value
            #expect(overWebSocket.count > 3)
            let replay = try await server.get("/v1/streams/ws-1")
            var reader = EventReader(replay)
            let events = try await reader.rest()
            #expect(events.map(\.data) == overWebSocket)
            #expect(events.last?.event == "complete")
        }
    }

    @Test("the WebSocket endpoint refuses an origin not in websocket.allowed_origins")
    func allowedOrigins() async throws {
        // The client always sends the origin of its URL (ws://127.0.0.1), which is not listed.
        try await HTTPTestServer.with({ $0.websocket.allowedOrigins = ["https://app.example.com"] }) { server in
            let wsURL = server.baseURL.replacingOccurrences(of: "http://", with: "ws://") + "/ws"
            await #expect(throws: (any Error).self) {
                try await WebSocketClient.connect(url: wsURL, logger: Logger(label: "ws-test-client")) { _, _, _ in }
            }
            #expect(server.hub.stats.accepted == 0)
        }
    }

    @Test("a server whose port is taken fails run() and waitUntilListening(); shutdown before run stops it at once")
    func portTakenAndEarlyShutdown() async throws {
        try await HTTPTestServer.with { server in
            let port = try #require(server.server.port)
            let second = try RealtimeServer(
                system: server.system, host: "127.0.0.1", port: port, chatStore: InMemoryChatStore(), handlesSignals: false)
            let running = Task { try await second.run() }
            await #expect(throws: (any Error).self) { try await second.waitUntilListening() }
            await #expect(throws: (any Error).self) { try await running.value }
        }

        let system = try Streaming.configure(environment: [:])
        let early = try RealtimeServer(
            system: system, host: "127.0.0.1", port: 0, chatStore: InMemoryChatStore(), handlesSignals: false)
        await early.shutdown()
        try await early.run()
        #expect(early.hub.isAtCapacity)  // the hub was shut down too
    }

    @Test("a graceful shutdown closes a client's idle kept-alive connection instead of waiting for it")
    func shutdownClosesIdleConnections() async throws {
        let system = try Streaming.configure(environment: [:])
        let server = try RealtimeServer(
            system: system, host: "127.0.0.1", port: 0, chatStore: InMemoryChatStore(), handlesSignals: false)
        let stopped = Flag()
        let running = Task {
            try await server.run()
            stopped.set()
        }
        let port = try await server.waitUntilListening()
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        let outcome: Result<Void, any Error>
        do {
            let response = try await client.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"), timeout: .seconds(10))
            _ = try await response.body.collect(upTo: 1024)  // the connection goes back to the client's pool, open
            await server.shutdown()
            try await waitUntil("the server to stop while a client keeps an idle connection") { stopped.isSet }
            try await running.value
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        // An HTTPClient must be shut down on every path, or its deinit traps.
        try await client.shutdown()
        try outcome.get()
    }
}
