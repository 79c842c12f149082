import Foundation
import Glibc
import StreamingTestSupport
import Testing

/// A web app on another origin, in a real headless browser (Chromium through Selenium,
/// `Interop/cross_origin_browser.py`, page in `Browser/cross_origin.html`), against
/// `raaf-streaming serve` with WEBSOCKET_ALLOWED_ORIGINS and a real HTTP model that the script
/// releases token by token (issue 17): fetch (POST) then EventSource, a connection cut
/// mid-stream and resumed with Last-Event-ID, the whole text shown once; a page on a
/// disallowed origin refused. Skipped, with the reason, where the browser is not installed.
@Suite("A browser app on another origin streams over SSE", .serialized, .needsBrowser)
struct CrossOriginBrowserTests {
    static let script = ChatBrowserTests.root.appendingPathComponent("Tests/WebSocketTests/Interop/cross_origin_browser.py")
    static let model = ChatBrowserTests.root.appendingPathComponent("Tests/Support/Fixtures/gated_model.py")
    static let tokens = 6

    @Test("fetch then EventSource from an allowed origin, cut and resumed: the whole text once; a disallowed origin is refused")
    func crossOriginPage() async throws {
        let python = try #require(ChildProcess.find("python3"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cross-origin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let control = folder.appendingPathComponent("released")
        try Data("0".utf8).write(to: control)
        let model = try RunningChild(python, [Self.model.path, control.path, String(Self.tokens)])
        defer { model.send(SIGKILL) }
        let modelPort = try #require(try await model.line(containing: "PORT ").split(separator: " ").last)

        let allowedPort = try Loopback.freePort()
        let deniedPort = try Loopback.freePort()
        let serve = try ServeProcess.start(
            ["--host", "127.0.0.1", "--port", "0"],
            environment: [
                "OPENAI_BASE_URL": "http://127.0.0.1:\(modelPort)/v1",
                "WEBSOCKET_ALLOWED_ORIGINS": "http://127.0.0.1:\(allowedPort)",
            ])
        defer { serve.send(SIGKILL) }
        let url = try await ServeProcess.url(of: serve)

        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        let output = try await ChildProcess.run(
            python,
            [
                Self.script.path, "--api", url, "--allowed-port", String(allowedPort), "--denied-port", String(deniedPort),
                "--control", control.path, "--tokens", String(Self.tokens),
            ],
            environment: environment
        )
        #expect(output.status == 0, "\(output.stdout)\(output.stderr)\nserver: \(serve.outputSoFar)")
        #expect(output.stdout.contains("EventSource came back with Last-Event-ID"), "\(output.stdout)")
    }
}
