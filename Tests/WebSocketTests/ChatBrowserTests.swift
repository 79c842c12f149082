import Foundation
import RAAFStreaming
import StreamingTestSupport
import Testing

/// The chat page (`GET /`) in a real headless browser: Debian's `chromium` and
/// `chromium-driver` driven by Selenium (`Interop/chat_browser.py`), against the real server.
/// Skipped, with the reason, where they are not installed (scripts/install-deps.sh installs them).
@Suite("Chat page in headless Chromium", .serialized, .needsBrowser)
struct ChatBrowserTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let script = root.appendingPathComponent("Tests/WebSocketTests/Interop/chat_browser.py")
    /// Where the screenshot is kept after the run (git ignores it).
    static let artifacts = root.appendingPathComponent("test-artifacts")

    @Test("two browser sessions in one room: both see the message and the agent's streamed answer; a cut connection resumes")
    func twoSessions() async throws {
        try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
        let screenshot = Self.artifacts.appendingPathComponent("chat-phone.png")
        try? FileManager.default.removeItem(at: screenshot)
        // A model at a human pace, so the cut connection comes back while the answer streams.
        try await HTTPTestServer.with({ $0.provider.simulationDelay = .milliseconds(25) }) { server in
            let python = try #require(ChildProcess.find("python3"))
            var environment = ProcessInfo.processInfo.environment
            environment["PYTHONDONTWRITEBYTECODE"] = "1"
            let output = try await ChildProcess.run(
                python,
                [Self.script.path, "--url", server.baseURL + "/", "--screenshot", screenshot.path, "--require-resume"],
                environment: environment
            )
            #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
        }
        #expect(FileManager.default.fileExists(atPath: screenshot.path), "the screenshot artifact")
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
