import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import StreamingTestSupport
import StreamingWebSocket
import Testing

/// The chat page's document and its route. The page itself is exercised in a real browser
/// by `Interop/chat_browser.py`.
@Suite("The chat page at GET /")
struct ChatPageTests {
    @Test("GET / answers the page as HTML, revalidated, with a strict content security policy")
    func route() async throws {
        try await withPageServer { baseURL in
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: baseURL + "/"), timeout: .seconds(30))
            #expect(response.status == .ok)
            #expect(response.headers["Content-Type"].first == "text/html; charset=utf-8")
            #expect(response.headers["Cache-Control"].first == "no-cache")
            #expect(response.headers["X-Content-Type-Options"].first == "nosniff")
            let policy = try #require(response.headers["Content-Security-Policy"].first)
            #expect(policy == ChatPageRoutes.contentSecurityPolicy)
            for directive in ["default-src 'self'", "connect-src 'self' ws: wss:", "frame-ancestors 'none'"] {
                #expect(policy.contains(directive), "\(directive)")
            }
            let body = String(buffer: try await response.body.collect(upTo: 1 << 22))
            #expect(body == ChatPage.html)

            let other = try await HTTPClient.shared.execute(HTTPClientRequest(url: baseURL + "/nothing"), timeout: .seconds(30))
            #expect(other.status == .notFound)
        }
    }

    @Test("The page is one whole document with the test ids the browser test drives")
    func document() {
        let html = ChatPage.html
        #expect(html.hasPrefix("<!doctype html>\n"))
        #expect(html.hasSuffix("</script>\n</body>\n</html>\n"))
        #expect(html.components(separatedBy: "<script").count == 2)
        #expect(html.components(separatedBy: "<style").count == 2)
        for id in [
            "name-input", "name-submit", "room-name-input", "create-room", "join-room", "message-input", "send-button",
            "message-list", "message", "streaming-bubble", "typing-indicator", "connection-status", "tool-call",
        ] {
            #expect(html.contains("'data-testid': '\(id)'") || html.contains("data-testid=\"\(id)\""), "\(id)")
        }
    }

    @Test("The page loads nothing from elsewhere and never parses text as HTML")
    func selfContained() {
        let html = ChatPage.html
        // Attributes that load something: only `data:` URLs (the icon).
        for match in html.matches(of: /\b(?:src|href|action)\s*=\s*["']([^"']*)/) {
            #expect(match.output.1.hasPrefix("data:"), "\(match.output.0)")
        }
        // The one absolute URL is the SVG namespace inside that icon.
        for match in html.matches(of: /https?:\/\/[^\s'"<>)]*/) {
            #expect(match.output == "http://www.w3.org/2000/svg", "\(match.output)")
        }
        for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
            #expect(!html.contains(sink), "\(sink)")
        }
        #expect(html.contains("location.host + '/ws'"))
    }

    @Test(
        "The development mock (Interop/chat_mock_server.py) serves the same document",
        .needsPythonWebSockets
    )
    func mockServesTheSamePage() async throws {
        let interop = PythonWebSockets.script.deletingLastPathComponent().path
        let python = try #require(ChildProcess.find("python3"))
        let output = try await ChildProcess.run(
            python,
            ["-c", "import sys; sys.path.insert(0, sys.argv[1]); import chat_mock_server as m; sys.stdout.write(m.page_html())", interop],
            environment: PythonWebSockets.environment()
        )
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout == ChatPage.html)
    }
}

/// A Hummingbird server with only the chat page's route, on a free loopback port.
private func withPageServer(_ body: (String) async throws -> Void) async throws {
    let router = Router()
    ChatPageRoutes().register(on: router)
    let boundPort = Locked<Int?>(nil)
    var logger = Logger(label: "chat-page-test")
    logger.logLevel = .warning
    let app = Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in boundPort.withLock { $0 = channel.localAddress?.port } },
        logger: logger
    )
    let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            try await waitUntil("the page server to listen") { boundPort.value != nil }
            try await body("http://127.0.0.1:\(boundPort.value!)")
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}
