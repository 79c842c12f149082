import ArgumentParser
import RAAFStreaming

/// `raaf-streaming serve`: the real-time server until SIGINT or SIGTERM, then a drain and a graceful shutdown.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve agents in real time: WebSocket, Server-Sent Events, the chat page, health, stats, metrics.",
        discussion: """
            What it serves, on one port: the WebSocket protocol at /ws (WEBSOCKET_PATH: agent \
            streams, channels, chat rooms; docs/PROTOCOL.md); Server-Sent Events at \
            POST /v1/agents/NAME/stream (start a stream) and GET /v1/streams/ID (follow or \
            resume one, after Last-Event-ID); the chat page at /; /health (liveness) and \
            /health/ready (readiness); /stats (JSON figures) and /metrics (Prometheus), which \
            ADMIN_TOKEN guards and ADMIN_PORT moves to a port of their own. Browser apps on \
            other origins may call it when WEBSOCKET_ALLOWED_ORIGINS allows them (any when unset); \
            behind a reverse proxy, TRUSTED_PROXIES names the proxies whose X-Forwarded-For is believed.

            Prints "listening on URL" and "chat page: URL" on standard output once the port is \
            bound, then serves until SIGINT or SIGTERM, then drains: new connections and streams \
            are refused (/health/ready answers 503), idle WebSocket clients are closed with 1012, \
            and running streams and chat answers go on to their end; the command exits 0 after \
            the last one, or when SHUTDOWN_GRACE seconds (default 30) run out or a second signal \
            comes: the streams still running then end with a shutting_down error. The offline model streams at about \
            33 tokens a second (RAAF_SIMULATION_DELAY_MS sets the pause per token; 0 for none). \
            Bound beyond loopback with a remote model and no authentication, it logs a warning.
            """
    )

    @Option(help: "The address to bind (default: WEBSOCKET_HOST, 0.0.0.0).")
    var host: String?

    @Option(help: "The port to listen on; 0 picks a free one (default: WEBSOCKET_PORT, 8080).")
    var port: Int?

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be from 0 to 65535") }
        if let host, host.allSatisfy(\.isWhitespace) { throw ValidationError("--host must not be empty") }
    }

    func run() async throws {
        // People watch the chat page: the offline model at a real model's pace.
        try await withSystem({ try $0.paceForPeople() }) { system in
            do {
                let server = try RealtimeServer(system: system, host: host, port: port)
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask { try await server.run() }
                    try await server.waitUntilListening()
                    Terminal.write("listening on \(server.url ?? "")\nchat page: \(Self.chatPage(of: server))\n")
                    if let admin = server.adminURL { Terminal.write("admin endpoints (/stats, /metrics, /health) on \(admin)\n") }
                }
            } catch {
                Terminal.error("the server failed: \(error)")
                throw ExitCode.failure
            }
            Terminal.note("server stopped")
        }
    }

    /// The chat page as a browser on this machine opens it: a wildcard address (`0.0.0.0`,
    /// `::`) is reached as `localhost`.
    static func chatPage(of server: RealtimeServer) -> String {
        let wildcard = ["0.0.0.0", "::", "[::]"].contains(server.host)
        guard wildcard, let port = server.port else { return (server.url ?? "") + "/" }
        return "http://localhost:\(port)/"
    }
}
