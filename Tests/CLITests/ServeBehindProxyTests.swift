import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import StreamingTestSupport
import Testing

/// `raaf-streaming serve` behind Debian's nginx (`proxy_read_timeout 5s`, buffering off), as
/// it is usually deployed, with a real HTTP model that stays silent for 12 s before it
/// answers (a reasoning model thinking): the whole answer must come through the proxy, on
/// both SSE routes (issue 17). Skipped, with the reason, where nginx is not installed
/// (scripts/install-deps.sh installs it).
@Suite("serve behind nginx", .serialized, .needsNginx)
struct ServeBehindProxyTests {
    static let tokens = 5
    static let answer = (1...tokens).map { "t\($0) " }.joined()

    @Test("a model silent for 12 s: keep-alives hold nginx open and the whole answer arrives on both routes; the client address comes from X-Forwarded-For")
    func silentModelThroughNginx() async throws {
        try await ProxiedServe.with(keepAlive: "1") { setup in
            let (post, streamID) = try await setup.startStream(forwardedFor: "198.51.100.23")
            let follow = EventStreamBytes(try await setup.get("/v1/streams/\(streamID)"))
            // The scenario's silence, not a wait for something: the model says nothing for 12 s,
            // more than twice nginx's read timeout.
            try await Task.sleep(for: .seconds(12))
            #expect(!post.ended && !follow.ended, "nginx cut a response during the silence")
            #expect(post.keepAlives >= 5 && follow.keepAlives >= 5, "keep-alives: \(post.keepAlives), \(follow.keepAlives)")
            try setup.releaseModel()
            try await post.task.value
            try await follow.task.value
            for reader in [post, follow] {
                #expect(reader.answer == Self.answer, "\(reader.text)")
                #expect(reader.types.last == "complete", "\(reader.text)")
            }
            // nginx appended its peer (127.0.0.1, trusted) to the client's X-Forwarded-For.
            try await waitUntil("serve to log the stream's client address") {
                setup.serve.outputSoFar.contains("client_address=198.51.100.23")
            }
        }
    }

    @Test("control: with the keep-alive above nginx's timeout, nginx ends the silent answer after 5 s, incomplete")
    func withoutKeepAliveNginxCutsTheStream() async throws {
        try await ProxiedServe.with(keepAlive: "30") { setup in
            let (post, _) = try await setup.startStream(forwardedFor: nil)
            try await waitUntil(timeout: .seconds(20), "nginx to end the silent response") { post.ended }
            #expect(post.types.isEmpty)
            #expect(try await setup.nginxLog().contains("upstream timed out"))
        }
    }
}

/// nginx, `serve` and the gated model (Fixtures/gated_model.py), for one test.
struct ProxiedServe: Sendable {
    let serve: RunningChild
    let proxyURL: String
    let control: URL
    let folder: URL

    static let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Support/Fixtures/gated_model.py")

    static func with(keepAlive: String, _ body: (ProxiedServe) async throws -> Void) async throws {
        let python = try #require(ChildProcess.find("python3"), "needs python3")
        let nginx = try #require(Nginx.executable, "needs nginx")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nginx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let control = folder.appendingPathComponent("released")
        try Data("0".utf8).write(to: control)

        let model = try RunningChild(python, [Self.model.path, control.path, String(ServeBehindProxyTests.tokens)])
        defer { model.send(SIGKILL) }
        let modelPort = try #require(try await model.line(containing: "PORT ").split(separator: " ").last)
        let serve = try ServeProcess.start(
            ["--host", "127.0.0.1", "--port", "0"],
            environment: [
                "OPENAI_BASE_URL": "http://127.0.0.1:\(modelPort)/v1", "STREAMING_SSE_KEEPALIVE": keepAlive,
                "TRUSTED_PROXIES": "127.0.0.1", "RAAF_LOG_LEVEL": "debug",
            ])
        defer { serve.send(SIGKILL) }
        let upstream = try await ServeProcess.url(of: serve)

        let port = try Loopback.freePort()
        let configuration = folder.appendingPathComponent("nginx.conf")
        try Nginx.configuration(folder: folder.path, port: port, upstream: upstream).write(to: configuration, atomically: true, encoding: .utf8)
        let proxy = try RunningChild(nginx, ["-p", folder.path, "-c", configuration.path, "-e", folder.path + "/error.log"])
        defer { proxy.send(SIGKILL) }
        let proxyURL = "http://127.0.0.1:\(port)"
        try await waitUntil("nginx to answer /health") {
            let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: proxyURL + "/health"), timeout: .seconds(2))
            return response?.status == .ok
        }
        do {
            try await body(ProxiedServe(serve: serve, proxyURL: proxyURL, control: control, folder: folder))
        } catch {
            Issue.record("serve: \(serve.outputSoFar)\nnginx: \(proxy.outputSoFar)")
            throw error
        }
    }

    /// POSTs a stream through nginx; returns once the response head (with its stream id) is there.
    func startStream(forwardedFor: String?) async throws -> (EventStreamBytes, String) {
        var request = HTTPClientRequest(url: proxyURL + "/v1/agents/support/stream")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let forwardedFor { request.headers.add(name: "X-Forwarded-For", value: forwardedFor) }
        request.body = .bytes(ByteBuffer(string: #"{"input":"think hard"}"#))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        #expect(response.status == .ok)
        let id = try #require(response.headers["X-Stream-ID"].first)
        return (EventStreamBytes(response), id)
    }

    func get(_ path: String) async throws -> HTTPClientResponse {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: proxyURL + path), timeout: .seconds(60))
        #expect(response.status == .ok)
        return response
    }

    /// Lets the model send its whole answer.
    func releaseModel() throws {
        try Data(String(ServeBehindProxyTests.tokens).utf8).write(to: control)
    }

    func nginxLog() async throws -> String {
        (try? String(contentsOf: folder.appendingPathComponent("error.log"), encoding: .utf8)) ?? ""
    }
}

/// An event-stream response read in the background: its raw text, the frames of its `data:` lines.
final class EventStreamBytes: Sendable {
    private let bytes = Locked<[UInt8]>([])
    private let done = Locked(false)
    let task: Task<Void, any Error>

    init(_ response: HTTPClientResponse) {
        let (bytes, done) = (self.bytes, self.done)
        task = Task {
            defer { done.withLock { $0 = true } }
            for try await buffer in response.body {
                bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) }
            }
        }
    }

    var ended: Bool { done.value }
    var text: String { String(decoding: bytes.value, as: UTF8.self) }
    var keepAlives: Int { text.components(separatedBy: ": keep-alive\n").count - 1 }

    var frames: [[String: Any]] {
        text.split(separator: "\n").filter { $0.hasPrefix("data: ") }.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.dropFirst(6).utf8)) as? [String: Any]
        }
    }

    var types: [String] { frames.compactMap { $0["type"] as? String } }
    var answer: String {
        frames.filter { $0["type"] as? String == "response_chunk" }.compactMap { $0["content"] as? String }.joined()
    }
}

enum Nginx {
    static let requirement = "needs nginx (Debian's nginx-light), installed by scripts/install-deps.sh"

    static var executable: URL? {
        ChildProcess.find("nginx")
            ?? ["/usr/sbin/nginx", "/usr/local/sbin/nginx"].map(URL.init(fileURLWithPath:)).first {
                FileManager.default.isExecutableFile(atPath: $0.path)
            }
    }

    /// One process in the foreground, everything under `folder`, proxying to `upstream` the
    /// way a deployment does: HTTP/1.1 upstream, buffering off, a 5 s read timeout.
    static func configuration(folder: String, port: Int, upstream: String) -> String {
        """
        daemon off;
        master_process off;
        worker_processes 1;
        pid \(folder)/nginx.pid;
        error_log \(folder)/error.log info;
        events { worker_connections 64; }
        http {
            access_log \(folder)/access.log;
            client_body_temp_path \(folder)/client_body;
            proxy_temp_path \(folder)/proxy;
            fastcgi_temp_path \(folder)/fastcgi;
            uwsgi_temp_path \(folder)/uwsgi;
            scgi_temp_path \(folder)/scgi;
            server {
                listen 127.0.0.1:\(port);
                location / {
                    proxy_pass \(upstream);
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                    proxy_read_timeout 5s;
                    proxy_buffering off;
                }
            }
        }

        """
    }
}

extension Trait where Self == ConditionTrait {
    /// Skips the suite, saying why, when nginx is not installed.
    static var needsNginx: Self {
        .enabled(Comment(rawValue: Nginx.requirement)) { Nginx.executable != nil && ChildProcess.find("python3") != nil }
    }
}
