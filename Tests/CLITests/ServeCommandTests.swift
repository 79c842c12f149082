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
        try ServeProcess.start(arguments, environment: environment)
    }

    static func url(of child: RunningChild) async throws -> String {
        try await ServeProcess.url(of: child)
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
        #expect(try await child.line(containing: "chat page: ") == "chat page: \(url)/")

        let health = try await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/health"), timeout: .seconds(30))
        #expect(health.status == .ok)
        let healthText = String(buffer: try await health.body.collect(upTo: 4096))
        #expect(healthText.hasPrefix(#"{"components":{"chat_store":{"#))
        #expect(healthText.contains(#""status":"ok","uptime_seconds""#))

        var post = HTTPClientRequest(url: url + "/v1/agents/support/stream")
        post.method = .POST
        post.body = .bytes(ByteBuffer(string: #"{"input":"hello"}"#))
        let stream = try await HTTPClient.shared.execute(post, timeout: .seconds(30))
        #expect(stream.status == .ok)
        let events = String(buffer: try await stream.body.collect(upTo: 1 << 20))
        // The retry field first (issue 17), then the first frame.
        #expect(events.hasPrefix("retry: 2000\n\nid: 1\nevent: response_chunk\ndata: {"))
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

    @Test("on 0.0.0.0 the chat page's address is given as localhost, and the page is served there")
    func chatPageOnTheWildcardAddress() async throws {
        let child = try Self.start(["--host", "0.0.0.0", "--port", "0"])
        defer { child.send(SIGKILL) }
        let url = try await Self.url(of: child)
        let port = try #require(url.split(separator: ":").last)
        let page = try await child.line(containing: "chat page: ")
        #expect(page == "chat page: http://localhost:\(port)/")
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(port)/"), timeout: .seconds(30))
        #expect(response.status == .ok)
        #expect(String(buffer: try await response.body.collect(upTo: 1 << 20)).contains("<!doctype html>"))
        await child.stop()
    }
}

/// The start-up warning of a server that spends a model key for anyone who reaches it.
@Suite("raaf-streaming serve warns when anyone can use its model", .serialized)
struct ServeExposureWarningTests {
    static let warning = "reachable from other machines, with authentication off"
    static let key = "sk-test-DO-NOT-LEAK-1234567890"

    /// A remote model on a loopback port where nothing listens: the warning is given at start-up,
    /// so no model call is made.
    static func remoteModel(_ port: Loopback.RefusingPort) -> [String: String] {
        ["OPENAI_API_KEY": key, "OPENAI_BASE_URL": "http://127.0.0.1:\(port.port)/v1"]
    }

    /// Starts `serve` and returns everything it wrote up to and including its "listening on" line:
    /// the warning, when there is one, is logged before it.
    static func startUp(_ arguments: [String], _ environment: [String: String]) async throws -> String {
        let child = try ServeProcess.start(arguments + ["--port", "0"], environment: environment)
        defer { child.send(SIGKILL) }
        _ = try await ServeProcess.url(of: child)
        let output = child.outputSoFar
        await child.stop()
        return output
    }

    @Test("0.0.0.0 with a key and no authentication: one warning line that says what and how, without the key")
    func warns() async throws {
        let model = try Loopback.RefusingPort()
        let output = try await Self.startUp(["--host", "0.0.0.0"], Self.remoteModel(model))
        let lines = output.split(separator: "\n").filter { $0.contains(Self.warning) }
        #expect(lines.count == 1, "output: \(output)")
        let line = String(lines.first ?? "")
        #expect(line.contains(" warning "))
        #expect(line.contains("listening on 0.0.0.0:"))
        #expect(line.contains("run agents on the model server at http://127.0.0.1:\(model.port)/v1"))
        #expect(line.contains("spending its API key"))
        #expect(line.contains("WEBSOCKET_AUTH_TOKENS"))
        #expect(!output.contains(Self.key))
    }

    @Test("the default address (WEBSOCKET_HOST unset) warns too")
    func defaultAddressWarns() async throws {
        let model = try Loopback.RefusingPort()
        let output = try await Self.startUp([], Self.remoteModel(model))
        #expect(output.contains(Self.warning), "output: \(output)")
    }

    @Test("no warning on 127.0.0.1, with authentication on, or on the offline model")
    func silent() async throws {
        let model = try Loopback.RefusingPort()
        let loopback = try await Self.startUp(["--host", "127.0.0.1"], Self.remoteModel(model))
        #expect(!loopback.contains(Self.warning), "output: \(loopback)")

        var authenticated = Self.remoteModel(model)
        authenticated["WEBSOCKET_AUTH_TOKENS"] = "t0ken-for-alice=alice"
        let withAuthentication = try await Self.startUp(["--host", "0.0.0.0"], authenticated)
        #expect(!withAuthentication.contains(Self.warning), "output: \(withAuthentication)")

        let offline = try await Self.startUp(["--host", "0.0.0.0"], [:])
        #expect(!offline.contains(Self.warning), "output: \(offline)")
    }
}
