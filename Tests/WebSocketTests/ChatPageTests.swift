import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import StreamingTestSupport
import StreamingWebSocket
import Testing

/// The chat page's routes: the document and its files over HTTP, byte for byte the files of
/// `Sources/Adapters/WebSocket/Chat/Page`. The page itself is exercised in a real browser by
/// `ChatBrowserTests` (`Interop/chat_browser.py`); its files are checked as files by
/// `ChatPageFilesTests`.
@Suite("The chat page at GET /")
struct ChatPageTests {
    @Test("GET / answers the document as HTML, revalidated, with a content security policy that allows no inline style or script")
    func route() async throws {
        try await withPageServer { baseURL in
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: baseURL + "/"), timeout: .seconds(30))
            #expect(response.status == .ok)
            #expect(response.headers["Content-Type"].first == "text/html; charset=utf-8")
            #expect(response.headers["Cache-Control"].first == "no-cache")
            #expect(response.headers["X-Content-Type-Options"].first == "nosniff")
            #expect(response.headers["ETag"].first == ChatPage.file(at: "index.html")?.etag)
            let policy = try #require(response.headers["Content-Security-Policy"].first)
            #expect(policy == ChatPageRoutes.contentSecurityPolicy)
            let directives = directives(of: policy)
            #expect(directives["script-src"] == ["'self'"], "scripts from the page's origin only: no inline script")
            #expect(directives["style-src"] == ["'self'"], "style sheets from the page's origin only: no inline style")
            #expect(directives["default-src"] == ["'self'"])
            #expect(directives["connect-src"] == ["'self'", "ws:", "wss:"])
            #expect(directives["frame-ancestors"] == ["'none'"])
            for unsafe in ["'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*"] {
                #expect(!directives.values.joined().contains(unsafe), "\(unsafe)")
            }
            let body = String(buffer: try await response.body.collect(upTo: 1 << 22))
            #expect(body == ChatPage.html)

            let other = try await HTTPClient.shared.execute(HTTPClientRequest(url: baseURL + "/nothing"), timeout: .seconds(30))
            #expect(other.status == .notFound)
        }
    }

    @Test("Every file of the page's folder is served next to the document, byte for byte, with its content type")
    func filesAreTheSourceFiles() async throws {
        let sources = try PageSources.files()
        #expect(ChatPage.files.map(\.path) == sources.keys.sorted(), "the binary embeds exactly the folder's files")
        let routes = ChatPageRoutes().routes
        #expect(Set(routes.map(\.path)).isSuperset(of: ["/", "/chat.css", "/chat.js"]))
        try await withPageServer { baseURL in
            for route in routes {
                let response = try await HTTPClient.shared.execute(
                    HTTPClientRequest(url: baseURL + route.path), timeout: .seconds(30))
                #expect(response.status == .ok, "\(route.path)")
                let body = Data(try await response.body.collect(upTo: 1 << 22).readableBytesView)
                #expect(body == sources[route.file.path], "\(route.path) is \(route.file.path) of the source tree")
                #expect(response.headers["Content-Type"].first == PageSources.contentType(of: route.file.path), "\(route.path)")
                #expect(response.headers["X-Content-Type-Options"].first == "nosniff", "\(route.path)")
                #expect(response.headers["Cache-Control"].first == "no-cache", "\(route.path)")
                #expect(response.headers["ETag"].first == route.file.etag, "\(route.path)")
            }
        }
    }

    @Test("A revalidation that names the file's ETag gets 304 without a body; another ETag gets the file")
    func revalidation() async throws {
        let script = try #require(ChatPage.file(at: "chat.js"))
        #expect(Set(ChatPage.files.map(\.etag)).count == ChatPage.files.count, "each file has its own tag")
        try await withPageServer { baseURL in
            for tag in [script.etag, "W/\(script.etag)", "\"other\", \(script.etag)", "*"] {
                var request = HTTPClientRequest(url: baseURL + "/chat.js")
                request.headers.add(name: "If-None-Match", value: tag)
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                #expect(response.status == .notModified, "If-None-Match: \(tag)")
                #expect(response.headers["ETag"].first == script.etag)
                #expect(try await response.body.collect(upTo: 1 << 22).readableBytes == 0)
            }
            var request = HTTPClientRequest(url: baseURL + "/chat.js")
            request.headers.add(name: "If-None-Match", value: "\"other\"")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(response.status == .ok)
            #expect(String(buffer: try await response.body.collect(upTo: 1 << 22)) == script.text)
        }
    }

    @Test("Under another path the page's files are served next to it, and nowhere else")
    func otherPath() async throws {
        #expect(ChatPageRoutes(path: "/support").routes.first { $0.file.path == "chat.css" }?.path == "/chat.css")
        try await withPageServer(path: "/support/") { baseURL in
            for (path, expected) in [
                ("/support/", ChatPage.html), ("/support/chat.css", ChatPage.file(at: "chat.css")?.text),
                ("/support/chat/connection.js", ChatPage.file(at: "chat/connection.js")?.text),
            ] {
                let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: baseURL + path), timeout: .seconds(30))
                #expect(response.status == .ok, "\(path)")
                #expect(String(buffer: try await response.body.collect(upTo: 1 << 22)) == expected, "\(path)")
            }
            let outside = try await HTTPClient.shared.execute(HTTPClientRequest(url: baseURL + "/chat.css"), timeout: .seconds(30))
            #expect(outside.status == .notFound)
        }
    }
}

/// A content security policy's directives: name → sources.
private func directives(of policy: String) -> [String: [String]] {
    var directives: [String: [String]] = [:]
    for directive in policy.split(separator: ";") {
        let words = directive.split(separator: " ").map(String.init)
        if let name = words.first { directives[name] = Array(words.dropFirst()) }
    }
    return directives
}

/// A Hummingbird server with only the chat page's routes, on a free loopback port.
private func withPageServer(path: String = "/", _ body: (String) async throws -> Void) async throws {
    let router = Router()
    ChatPageRoutes(path: path).register(on: router)
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
