import AsyncHTTPClient
import Foundation
import Glibc
import StreamingTestSupport
import Testing

/// What an operator meets first: `serve --help`, and the admin endpoints behind ADMIN_TOKEN
/// and ADMIN_PORT on a real `raaf-streaming serve` (issue 17).
@Suite("serve for operators: --help, ADMIN_TOKEN, ADMIN_PORT", .serialized)
struct ServeOperatorTests {
    @Test("serve --help says what it serves and where")
    func help() async throws {
        let output = try await ChildProcess.run(
            try ChildProcess.built("raaf-streaming"), ["serve", "--help"], environment: ProcessInfo.processInfo.environment)
        #expect(output.status == 0)
        let text = output.stdout.replacingOccurrences(of: "\n", with: " ").split(separator: " ").joined(separator: " ")
        for promise in [
            "WebSocket protocol at /ws", "POST /v1/agents/NAME/stream", "GET /v1/streams/ID", "chat page at /",
            "/health", "/health/ready", "/stats", "/metrics", "ADMIN_TOKEN", "ADMIN_PORT", "WEBSOCKET_ALLOWED_ORIGINS",
            "TRUSTED_PROXIES",
        ] {
            #expect(text.contains(promise), "--help does not mention \(promise): \(output.stdout)")
        }
    }

    static func get(_ url: String, token: String? = nil) async throws -> UInt {
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        return try await HTTPClient.shared.execute(request, timeout: .seconds(30)).status.code
    }

    @Test("ADMIN_TOKEN: /stats and /metrics answer 401 without it and 200 with it; /health stays open")
    func adminToken() async throws {
        let token = "ops-\(UUID().uuidString)"
        let serve = try ServeProcess.start(["--host", "127.0.0.1", "--port", "0"], environment: ["ADMIN_TOKEN": token])
        defer { serve.send(SIGKILL) }
        let url = try await ServeProcess.url(of: serve)
        for path in ["/stats", "/metrics"] {
            #expect(try await Self.get(url + path) == 401, "\(path)")
            #expect(try await Self.get(url + path, token: "guess") == 401, "\(path)")
            #expect(try await Self.get(url + path, token: token) == 200, "\(path)")
        }
        #expect(try await Self.get(url + "/health") == 200)
        #expect(try await Self.get(url + "/health/ready") == 200)
        #expect(!serve.outputSoFar.contains(token), "the token must not be printed or logged")
    }

    @Test("ADMIN_PORT: serve prints the admin address; /stats is there, not on the main port")
    func adminPort() async throws {
        let port = try Loopback.freePort()
        let serve = try ServeProcess.start(["--host", "127.0.0.1", "--port", "0"], environment: ["ADMIN_PORT": String(port)])
        defer { serve.send(SIGKILL) }
        let url = try await ServeProcess.url(of: serve)
        let line = try await serve.line(containing: "admin endpoints")
        #expect(line.hasSuffix("http://127.0.0.1:\(port)"), "\(line)")
        #expect(try await Self.get(url + "/stats") == 404)
        #expect(try await Self.get("http://127.0.0.1:\(port)/stats") == 200)
        #expect(try await Self.get("http://127.0.0.1:\(port)/metrics") == 200)
        #expect(try await Self.get("http://127.0.0.1:\(port)/health/ready") == 200)
        serve.send(SIGTERM)
        #expect(try await serve.waitForExit() == 0, "\(serve.outputSoFar)")
    }
}
