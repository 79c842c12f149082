import Foundation
import Glibc
import RAAFStreaming
import StreamingTestSupport
import Testing

/// The chat page (`GET /`) in a real headless browser: Debian's `chromium` and
/// `chromium-driver` driven by Selenium (`Interop/chat_browser.py`), against `raaf-streaming
/// serve` as a newcomer starts it: the offline model at the command's own pace.
/// Skipped, with the reason, where they are not installed (scripts/install-deps.sh installs them).
@Suite("Chat page in headless Chromium", .serialized, .needsBrowser)
struct ChatBrowserTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let script = root.appendingPathComponent("Tests/WebSocketTests/Interop/chat_browser.py")
    /// Where the screenshots are kept after the run (git ignores it). `chat-page.png` is the
    /// README's picture, `docs/chat-page.png`: copy it there when the page changes.
    static let artifacts = root.appendingPathComponent("test-artifacts")

    @Test(
        "two browser sessions in one room: both see the message and the agent's answer grow on screen; a cut connection resumes"
    )
    func twoSessions() async throws {
        try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
        let screenshot = Self.artifacts.appendingPathComponent("chat-phone.png")
        let page = Self.artifacts.appendingPathComponent("chat-page.png")
        for file in [screenshot, page] { try? FileManager.default.removeItem(at: file) }
        // `serve` at its default pace (RAAF_SIMULATION_DELAY_MS unset): the answer streams as a
        // person sees it, and the cut connection comes back while it still streams.
        let server = try ServeProcess.start(
            ["--host", "127.0.0.1", "--port", "0"], environment: ["RAAF_SIMULATION_DELAY_MS": ""])
        defer { server.send(SIGKILL) }
        let url = try await ServeProcess.url(of: server)
        let python = try #require(ChildProcess.find("python3"))
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        let output = try await ChildProcess.run(
            python,
            [
                Self.script.path, "--url", url + "/", "--screenshot", screenshot.path, "--page-screenshot", page.path,
                "--require-resume",
            ],
            environment: environment
        )
        #expect(output.status == 0, "\(output.stdout)\(output.stderr)\nserver: \(server.outputSoFar)")
        #expect(FileManager.default.fileExists(atPath: screenshot.path), "the phone screenshot")
        #expect(FileManager.default.fileExists(atPath: page.path), "the screenshot of the streaming answer")
        server.send(SIGTERM)
        #expect(try await server.waitForExit() == 0, "server: \(server.outputSoFar)")
    }
}

enum Browser {
    static let requirement =
        "needs chromium, chromium-driver (Debian) and selenium (PyPI), installed by scripts/install-deps.sh unless RAAF_BROWSER_TESTS=0"

    static let availability = Task<Bool, Never> {
        guard ProcessInfo.processInfo.environment["RAAF_BROWSER_TESTS"] != "0",
            ChildProcess.find("chromium") != nil || FileManager.default.fileExists(atPath: "/usr/bin/chromium"),
            ChildProcess.find("chromedriver") != nil || FileManager.default.fileExists(atPath: "/usr/bin/chromedriver"),
            let python = ChildProcess.find("python3")
        else { return false }
        let output = try? await ChildProcess.run(python, ["-c", "import selenium"], environment: ProcessInfo.processInfo.environment)
        return output?.status == 0
    }
}

extension Trait where Self == ConditionTrait {
    /// Skips the suite, saying why, when the headless browser or Selenium is missing.
    static var needsBrowser: Self {
        .enabled(Comment(rawValue: Browser.requirement)) { await Browser.availability.value }
    }
}

/// The chat page after a close with 1012 (a server draining for a deploy), in headless
/// Chromium against a Python server that closes its first connections (`Interop/chat_restart.py`).
@Suite("Chat page reconnects after 1012", .serialized, .needsBrowser)
struct ChatPageRestartTests {
    @Test("after 1012 the page reconnects at once; after 1001 it waits its backoff")
    func reconnectsAtOnceAfterServiceRestart() async throws {
        let script = ChatBrowserTests.root.appendingPathComponent("Tests/WebSocketTests/Interop/chat_restart.py")
        let python = try #require(ChildProcess.find("python3"))
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        let output = try await ChildProcess.run(python, [script.path], environment: environment)
        #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
    }
}
