import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import StreamingTestSupport
import Testing

/// `raaf-streaming serve` as an operator runs it: it announces its URL, serves, and stops
/// cleanly on a signal.
@Suite("raaf-streaming serve", .serialized)
struct ServeCommandTests {
    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> RunningChild {
        var env = ProcessInfo.processInfo.environment
        for name in ["OPENAI_API_KEY", "OPENAI_BASE_URL", "RAAF_MODEL", "REDIS_URL", "WEBSOCKET_HOST", "WEBSOCKET_PORT"] {
            env[name] = nil
        }
        // Chat rooms in memory, so a test leaves no raaf-chat.sqlite behind.
        env["CHAT_STORE"] = "memory"
        env.merge(environment) { _, new in new }
        return try RunningChild(try ChildProcess.built("raaf-streaming"), ["serve"] + arguments, environment: env)
    }

    /// The URL of the line `listening on URL`.
    static func url(of child: RunningChild) async throws -> String {
        let line = try await child.line(containing: "listening on http://")
        return String(try #require(line.split(separator: " ").last))
    }

    @Test(
        "serve --port 0 prints its URL, answers /health and a stream, and exits 0 on the signal",
        arguments: [SIGTERM, SIGINT]
    )
    func servesUntilSignalled(_ signal: Int32) async throws {
        let child = try Self.start(["--host", "127.0.0.1", "--port", "0"])
        defer { child.send(SIGKILL) }
        let url = try await Self.url(of: child)
        #expect(url.hasPrefix("http://127.0.0.1:"))
        #expect(!url.hasSuffix(":0"))

        let health = try await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/health"), timeout: .seconds(30))
        #expect(health.status == .ok)
        #expect(String(buffer: try await health.body.collect(upTo: 1024)) == #"{"status":"ok"}"#)

        var post = HTTPClientRequest(url: url + "/v1/agents/support/stream")
        post.method = .POST
        post.body = .bytes(ByteBuffer(string: #"{"input":"hello"}"#))
        let stream = try await HTTPClient.shared.execute(post, timeout: .seconds(30))
        #expect(stream.status == .ok)
        let events = String(buffer: try await stream.body.collect(upTo: 1 << 20))
        #expect(events.hasPrefix("id: 1\nevent: response_chunk\ndata: {"))
        #expect(events.contains("\nevent: complete\n"))

        child.send(signal)
        let status = try await child.waitForExit()
        #expect(status == 0, "output: \(child.outputSoFar)")
    }

    @Test("a port in use fails with a non-zero status and says why")
    func portInUse() async throws {
        let first = try Self.start(["--host", "127.0.0.1", "--port", "0"])
        defer { first.send(SIGKILL) }
        let url = try await Self.url(of: first)
        let port = try #require(url.split(separator: ":").last)
        let second = try Self.start(["--host", "127.0.0.1", "--port", String(port)])
        let status = try await second.waitForExit()
        #expect(status != 0)
        #expect(try await second.text().contains("error:"))
        first.send(SIGTERM)
        #expect(try await first.waitForExit() == 0)
    }

    @Test("a bad setting exits 78 naming the variable; a bad --port is a usage error")
    func badSettings() async throws {
        let badEnvironment = try Self.start([], environment: ["WEBSOCKET_RATE_LIMIT": "lots"])
        #expect(try await badEnvironment.waitForExit() == 78)
        #expect(try await badEnvironment.text().contains("WEBSOCKET_RATE_LIMIT"))

        let badPort = try Self.start(["--port", "70000"])
        #expect(try await badPort.waitForExit() == 64)
    }
}
