// The real-time layer end to end, in one process, on the offline model: a Hummingbird server
// that speaks the streaming WebSocket protocol beside its own routes, and a WebSocketClient
// that uses it (channels, then an agent answer streamed token by token). Exits by itself.
import Foundation
import Hummingbird
import Logging
import RAAFStreaming
import ServiceLifecycle
import StreamingWebSocket

@main
struct RealtimeServerExample {
    static func main() async throws {
        // 1. The use cases, from the same configuration as everything else (environment,
        //    then code). Forcing the offline model keeps the example self-contained; it streams
        //    at a real model's pace for the person watching (RAAF_SIMULATION_DELAY_MS=0: instant).
        let system = try Streaming.configure(provider: ScriptedModelProvider()) { try $0.paceForPeople() }
        var logger = system.logger("realtime-server")
        logger.logLevel = .warning

        // AgentStreamService runs the agents clients ask for and keeps their frames for
        // `resume`; ConnectionHub is the protocol (channels, auth, streams) over connections.
        let streams = AgentStreamService(
            runner: system.runner,
            agents: { [agents = system.agents] name in agents[name] },
            pipeline: system.pipeline(),
            logger: logger
        )
        let hub = ConnectionHub(streams: streams, logger: logger)

        // 2. An ordinary Hummingbird application: its own routes, plus the WebSocket endpoint
        //    (`/ws`) mounted through the server builder. Port 0 picks a free port; the bound
        //    one is reported once the server listens.
        let router = Router()
        router.get("hello") { _, _ in "Hello from the app's own routes\n" }
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            server: .streamingWebSocket(hub: hub),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            services: [ConnectionHubService(hub: hub)],  // the hub's heartbeats and agent runs live beside the server
            onServerRunning: { channel in
                if let port = channel.localAddress?.port { portContinuation.yield(port) }
                portContinuation.finish()
            },
            logger: logger
        )

        // 3. A ServiceGroup owns the server's lifetime; a real server would pass
        //    `gracefulShutdownSignals: [.sigterm, .sigint]` and run it as its whole main.
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            defer { tasks.cancelAll() }
            var portIterator = ports.makeAsyncIterator()
            guard let port = await portIterator.next() else { throw StreamingError.connection("the server did not start") }
            say("Listening on http://127.0.0.1:\(port) (GET /hello, WebSocket /ws)\n")

            try await useTheClient(url: "ws://127.0.0.1:\(port)/ws", logger: logger)

            // 5. Graceful shutdown: the server stops accepting, the hub closes its
            //    connections (1001) and cancels its runs, then group.run() returns.
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        try await system.shutdown()
        say("Server stopped.\n")
    }

    /// 4. The client side: what a browser, a CLI or another service would do.
    static func useTheClient(url: String, logger: Logger) async throws {
        // Channel messages arrive through a callback; an AsyncStream turns them into
        // something to await.
        let (messages, messageContinuation) = AsyncStream<ServerMessage>.makeStream()

        // withConnection runs the client (connect, reconnect) for the body, then closes it.
        try await WebSocketClient.withConnection(.init(url: url), logger: logger) { client in
            client.onMessage { message in
                if case .message = message { messageContinuation.yield(message) }
            }

            // Subscribe waits for the server's confirmation, so the publish below is seen.
            try await client.subscribe("news")
            try client.publish(channel: "news", data: ["headline": "Realtime layer is up"])
            for await case .message(let channel, let data, let from) in messages {
                say("[\(channel)] \(data.jsonString) (from \(from ?? "?"))\n")
                break
            }

            // An agent answer, token by token, as the server streams it. Each event arrives
            // once and in order, even across reconnects (the client resumes by seq).
            say("assistant: ")
            let stream = try client.startAgentStream(agent: "assistant", input: "Tell me about streaming.")
            for try await event in stream {
                switch event.kind {
                case .content(let text): say(text)
                case .complete(let report): say("\n[complete: \(report.content.count) characters]\n")
                default: break
                }
            }
        }
        messageContinuation.finish()
    }
}

/// Writes to standard output unbuffered, so each token shows the moment it arrives.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
