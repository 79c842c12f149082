import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import StreamingTestSupport
import StreamingWebSocket
import Testing

/// The chat page's files as files: what the document refers to exists, nothing needs the
/// inline style or script the content security policy forbids, the script modules parse, and
/// the development mock serves the same bytes as the server.
@Suite("The chat page's files")
struct ChatPageFilesTests {
    @Test("The document refers to its style sheet and script by URLs the server answers, and every import resolves")
    func referencesResolve() throws {
        let served = Set(ChatPage.files.map(\.path))
        let html = ChatPage.html
        var references: [String] = []
        for match in html.matches(of: /\b(?:src|href)\s*=\s*"([^"]*)"/) where !match.output.1.hasPrefix("data:") {
            references.append(String(match.output.1))
        }
        #expect(references.sorted() == ["chat.css", "chat.js"])
        #expect(html.contains(#"<link rel="stylesheet" href="chat.css">"#))
        #expect(html.contains(#"<script type="module" src="chat.js"></script>"#))
        for reference in references { #expect(served.contains(reference), "\(reference)") }

        for file in ChatPage.files where file.path.hasSuffix(".js") {
            let folder = file.path.split(separator: "/").dropLast().joined(separator: "/")
            let imports = file.text.matches(of: /(?m)^import\s[^;]*?from\s+'([^']+)';/).map { String($0.output.1) }
            for specifier in imports {
                #expect(specifier.hasPrefix("./"), "\(file.path): \(specifier) is relative")
                let target = ((folder.isEmpty ? "" : folder + "/") + specifier.dropFirst(2))
                #expect(served.contains(target), "\(file.path) imports \(specifier), which is not a file of the page")
            }
        }
        let reachable = Self.modules(from: "chat.js")
        let scripts = Set(ChatPage.files.map(\.path).filter { $0.hasSuffix(".js") })
        #expect(reachable == scripts, "every script is a module the page loads")
    }

    @Test("No markup needs what the content security policy forbids: inline script or style, handler attributes")
    func nothingInline() {
        let html = ChatPage.html
        for match in html.matches(of: /<script\b[^>]*>([\s\S]*?)<\/script>/) {
            #expect(match.output.0.contains(" src="), "a script element without src: \(match.output.0)")
            #expect(match.output.1.isEmpty, "inline script: \(match.output.1)")
        }
        #expect(!html.contains("<style"))
        #expect(html.firstMatch(of: /\sstyle\s*=/) == nil, "a style attribute")
        #expect(html.firstMatch(of: /\son[a-z]+\s*=/) == nil, "an event handler attribute")
        #expect(!html.contains("javascript:"))
        for file in ChatPage.files where file.path.hasSuffix(".js") {
            // Setting a style property through the CSSOM is allowed; a style attribute is not.
            #expect(!file.text.contains("setAttribute('style'"), "\(file.path)")
            #expect(!file.text.contains(".style.cssText"), "\(file.path)")
        }
    }

    @Test("The page carries the test ids the browser test drives")
    func testIDs() {
        let text = ChatPage.files.map(\.text).joined(separator: "\n")
        for id in [
            "name-input", "name-submit", "room-name-input", "create-room", "join-room", "message-input", "send-button",
            "message-list", "message", "streaming-bubble", "typing-indicator", "connection-status", "tool-call",
        ] {
            #expect(text.contains("'data-testid': '\(id)'") || text.contains("data-testid=\"\(id)\""), "\(id)")
        }
    }

    @Test("The page loads nothing from elsewhere and never parses text as HTML")
    func selfContained() {
        for file in ChatPage.files {
            // Attributes that load something: only `data:` URLs (the icon) and the page's own files.
            for match in file.text.matches(of: /\b(?:src|href|action)\s*=\s*["']([^"']*)/) {
                let url = match.output.1
                #expect(url.hasPrefix("data:") || ChatPage.file(at: String(url)) != nil, "\(file.path): \(match.output.0)")
            }
            // The one absolute URL is the SVG namespace inside that icon.
            for match in file.text.matches(of: /https?:\/\/[^\s'"<>)]*/) {
                #expect(match.output == "http://www.w3.org/2000/svg", "\(file.path): \(match.output)")
            }
            for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
                #expect(!file.text.contains(sink), "\(file.path): \(sink)")
            }
        }
        #expect(ChatPage.file(at: "chat/connection.js")?.text.contains("location.host + '/ws'") == true)
    }

    @Test(
        "Every script module parses (node --check)",
        .enabled(if: ChildProcess.find("node") != nil, "needs node (Debian: nodejs) to check the modules' syntax")
    )
    func modulesParse() async throws {
        let node = try #require(ChildProcess.find("node"))
        let environment = ProcessInfo.processInfo.environment
        try await withThrowingTaskGroup(of: (String, ChildProcess.Output).self) { checks in
            for file in ChatPage.files where file.path.hasSuffix(".js") {
                checks.addTask {
                    let output = try await ChildProcess.run(
                        node, ["--input-type=module", "--check"], input: file.text, environment: environment)
                    return (file.path, output)
                }
            }
            for try await (path, output) in checks {
                #expect(output.status == 0, "\(path): \(output.stderr)")
            }
        }
        // The check can fail: a module with a syntax error does not pass.
        let broken = try await ChildProcess.run(
            node, ["--input-type=module", "--check"], input: "import { a } from './a.js';\nconsole.log(a;\n",
            environment: environment)
        #expect(broken.status != 0)
    }

    @Test(
        "The development mock (Interop/chat_mock_server.py) serves the same files, straight from the folder",
        .needsPythonWebSockets
    )
    func mockServesTheSameFiles() async throws {
        let python = try #require(ChildProcess.find("python3"))
        let script = PythonWebSockets.script.deletingLastPathComponent().appendingPathComponent("chat_mock_server.py")
        let mock = try RunningChild(python, [script.path, "--port", "0"], environment: PythonWebSockets.environment())
        defer { mock.send(SIGKILL) }
        let line = try await mock.line(containing: "listening on ")
        let baseURL = try #require(line.firstMatch(of: /http:\/\/[0-9.]+:[0-9]+/)).output
        let sources = try PageSources.files()
        for route in ChatPageRoutes().routes {
            let (status, headers, body) = try await PageSources.get(baseURL + route.path)
            #expect(status == 200, "\(route.path)")
            #expect(body == sources[route.file.path], "\(route.path)")
            #expect(headers["content-type"] == PageSources.contentType(of: route.file.path), "\(route.path)")
            if route.file.path == ChatPage.documentPath {
                #expect(headers["content-security-policy"] == ChatPageRoutes.contentSecurityPolicy)
            }
        }
        #expect(try await PageSources.get(baseURL + "/nothing.js").status == 404)
        await mock.stop()
    }

    /// The script modules `path` loads, itself included, following its imports.
    static func modules(from path: String) -> Set<String> {
        var seen: Set<String> = []
        var pending = [path]
        while let next = pending.popLast() {
            guard seen.insert(next).inserted, let file = ChatPage.file(at: next) else { continue }
            let folder = next.split(separator: "/").dropLast().joined(separator: "/")
            for match in file.text.matches(of: /(?m)^import\s[^;]*?from\s+'\.\/([^']+)';/) {
                pending.append((folder.isEmpty ? "" : folder + "/") + match.output.1)
            }
        }
        return seen
    }
}

/// The page's folder in the source tree, and plain HTTP reads of it.
enum PageSources {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/Adapters/WebSocket/Chat/Page")

    /// The page's files in the source tree (`.html`, `.css`, `.js`), by path under the folder.
    static func files() throws -> [String: Data] {
        var files: [String: Data] = [:]
        let base = folder.standardizedFileURL.path + "/"
        guard let walk = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return files }
        for case let url as URL in walk where ["html", "css", "js"].contains(url.pathExtension) {
            let path = url.standardizedFileURL.path
            files[String(path.dropFirst(base.count))] = try Data(contentsOf: url)
        }
        return files
    }

    /// The content type a file of the page must be served with.
    static func contentType(of path: String) -> String? {
        switch URL(fileURLWithPath: path).pathExtension {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        default: nil
        }
    }

    /// A GET through AsyncHTTPClient: status, headers (lowercased names, first values), body.
    static func get(_ url: String) async throws -> (status: UInt, headers: [String: String], body: Data) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        var headers: [String: String] = [:]
        for header in response.headers where headers[header.name.lowercased()] == nil {
            headers[header.name.lowercased()] = header.value
        }
        return (response.status.code, headers, Data(try await response.body.collect(upTo: 1 << 22).readableBytesView))
    }
}
