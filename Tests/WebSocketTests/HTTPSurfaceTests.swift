import AsyncHTTPClient
import Foundation
import NIOCore
import RAAFStreaming
import StreamingTestSupport
import StreamingWebSocket
import Testing

/// What browser apps, proxies and operators expect of the HTTP routes (issue 17): SSE that
/// keeps talking while the model thinks, CORS from `websocket.allowed_origins`, the admin
/// token and port, the client address behind trusted proxies.
@Suite("HTTP surface: keep-alive, CORS, admin token, trusted proxies", .serialized)
struct HTTPSurfaceTests {
    /// Reads an event-stream response's raw bytes in the background.
    final class RawReader: Sendable {
        let bytes = Locked<[UInt8]>([])
        let task: Task<Void, any Error>

        init(_ response: HTTPClientResponse) {
            let bytes = self.bytes
            task = Task {
                for try await buffer in response.body {
                    bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) }
                }
            }
        }

        var text: String { String(decoding: bytes.value, as: UTF8.self) }
        var keepAlives: Int { text.components(separatedBy: ": keep-alive\n\n").count - 1 }

        var events: [ServerSentEvent] {
            var parser = EventStreamParser()
            return parser.feed(bytes.value)
        }

        var answer: String {
            events.compactMap { try? $0.json() }.filter { $0["type"] as? String == "response_chunk" }
                .compactMap { $0["content"] as? String }.joined()
        }
    }

    @Test("a silent model: the head comes at once with retry:, keep-alive comments follow, then the whole answer, on both SSE routes")
    func keepAliveWhileSilent() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: 3))
        try await HTTPTestServer.with({ $0.streaming.sseKeepalive = .milliseconds(200) }, provider: model) { server in
            // `post` returns once the head has arrived: no token is released yet.
            let response = try await server.post(
                "/v1/agents/assistant/stream", json: HTTPTestServer.requestBody(input: "think", id: "silent-1"))
            #expect(response.status == .ok)
            #expect(response.header("X-Stream-ID") == "silent-1")
            let poster = RawReader(response)
            let follower = RawReader(try await server.get("/v1/streams/silent-1"))
            try await waitUntil("two keep-alive comments on each response while the model is silent") {
                poster.keepAlives >= 2 && follower.keepAlives >= 2
            }
            #expect(model.yielded == 0)
            #expect(poster.text.hasPrefix("retry: 2000\n\n"))
            #expect(follower.text.hasPrefix("retry: 2000\n\n"))
            #expect(poster.events.isEmpty, "comments are not events: \(poster.events)")
            model.releaseAll()
            try await poster.task.value
            try await follower.task.value
            for reader in [poster, follower] {
                #expect(reader.answer == model.answer)
                #expect(reader.events.last?.event == "complete")
                #expect(reader.events.map(\.id) == (1...reader.events.count).map { String($0) })
            }
        }
    }

    @Test("frames flowing faster than the interval: no keep-alive in between")
    func noKeepAliveWhileTalking() async throws {
        try await HTTPTestServer.with({ $0.streaming.sseKeepalive = .seconds(30) }) { server in
            let response = try await server.post(
                "/v1/agents/support/stream", json: HTTPTestServer.requestBody(input: "hello"))
            let text = try await response.text()
            #expect(!text.contains("keep-alive"))
            #expect(text.hasPrefix("retry: 2000\n\n"))
        }
    }

    static let app = "http://app.example.test:3000"

    @Test("CORS preflight and answers for an allowed origin; a disallowed one gets 403 and no Access-Control-Allow-Origin")
    func crossOrigin() async throws {
        try await HTTPTestServer.with({ $0.websocket.allowedOrigins = [Self.app] }) { server in
            var preflight = HTTPClientRequest(url: server.baseURL + "/v1/agents/assistant/stream")
            preflight.method = .OPTIONS
            preflight.headers.add(name: "Origin", value: Self.app)
            preflight.headers.add(name: "Access-Control-Request-Method", value: "POST")
            preflight.headers.add(name: "Access-Control-Request-Headers", value: "content-type,authorization,last-event-id")
            let answer = try await HTTPClient.shared.execute(preflight, timeout: .seconds(10))
            #expect(answer.status == .noContent)
            #expect(answer.header("Access-Control-Allow-Origin") == Self.app)
            let allowed = Set((answer.header("Access-Control-Allow-Headers") ?? "").lowercased().split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            })
            #expect(allowed.isSuperset(of: ["authorization", "content-type", "last-event-id"]), "\(allowed)")
            #expect(answer.header("Access-Control-Allow-Methods")?.contains("POST") == true)

            let post = try await server.post(
                "/v1/agents/support/stream", json: HTTPTestServer.requestBody(input: "hi", id: "cors-1"),
                headers: [("Origin", Self.app)])
            #expect(post.status == .ok)
            #expect(post.header("Access-Control-Allow-Origin") == Self.app)
            #expect(post.header("Access-Control-Expose-Headers") == "X-Stream-ID")
            _ = try await post.text()
            let health = try await server.get("/health", headers: [("Origin", Self.app)])
            #expect(health.header("Access-Control-Allow-Origin") == Self.app)
            #expect(try await health.json()["status"] as? String == "ok")

            let other = "http://evil.example.test"
            var refused = preflight
            refused.headers.replaceOrAdd(name: "Origin", value: other)
            let refusal = try await HTTPClient.shared.execute(refused, timeout: .seconds(10))
            #expect(refusal.status == .forbidden)
            #expect(refusal.header("Access-Control-Allow-Origin") == nil)
            #expect(try await refusal.json()["code"] as? String == "forbidden")
            // A "simple" request skips the preflight: refused too, and no stream starts.
            let before = server.hub.streams.stats.started
            let simple = try await server.post(
                "/v1/agents/support/stream", json: HTTPTestServer.requestBody(input: "hi"), headers: [("Origin", other)])
            #expect(simple.status == .forbidden)
            #expect(simple.header("Access-Control-Allow-Origin") == nil)
            #expect(try await simple.json()["code"] as? String == "forbidden")
            #expect(server.hub.streams.stats.started == before)
            // Not a browser (no Origin): untouched.
            let plain = try await server.get("/health")
            #expect(plain.header("Access-Control-Allow-Origin") == nil)
            #expect(try await plain.json()["status"] as? String == "ok")
        }
    }

    @Test("without an allow-list every origin is answered with its own Access-Control-Allow-Origin")
    func anyOrigin() async throws {
        try await HTTPTestServer.with { server in
            let response = try await server.get("/health", headers: [("Origin", "http://anything.test:1234")])
            #expect(response.header("Access-Control-Allow-Origin") == "http://anything.test:1234")
            #expect(try await response.consumedStatus() == 200)
        }
    }

    @Test("ADMIN_TOKEN: /stats and /metrics answer 401 without or with a wrong token, 200 with it; health stays open")
    func adminToken() async throws {
        let token = "admin-7f3c9d"
        try await HTTPTestServer.with({ $0.server.adminToken = token }) { server in
            for path in ["/stats", "/metrics"] {
                let bare = try await server.get(path)
                #expect(bare.status == .unauthorized, "\(path)")
                #expect(bare.header("WWW-Authenticate") == "Bearer")
                #expect(try await bare.json()["code"] as? String == "unauthorized")
                #expect(try await server.get(path, headers: [("Authorization", "Bearer wrong")]).consumedStatus() == 401)
                #expect(try await server.get(path, headers: [("Authorization", "Bearer \(token)x")]).consumedStatus() == 401)
                let granted = try await server.get(path, headers: [("Authorization", "Bearer \(token)")])
                #expect(granted.status == .ok, "\(path)")
                #expect(!(try await granted.text()).isEmpty)
            }
            #expect(try await server.get("/health").consumedStatus() == 200)
            #expect(try await server.get("/health/ready").consumedStatus() == 200)
        }
    }

    @Test("ADMIN_PORT: /stats and /metrics move to their own port, beside the health probes")
    func adminPort() async throws {
        let port = try Loopback.freePort()
        try await HTTPTestServer.with({ $0.server.adminPort = port }) { server in
            try await server.server.waitUntilListening()
            let admin = try #require(server.server.adminURL)
            #expect(admin == "http://127.0.0.1:\(port)")
            #expect(try await server.get("/stats").consumedStatus() == 404)
            #expect(try await server.get("/health").consumedStatus() == 200)
            for path in ["/stats", "/metrics", "/health", "/health/ready"] {
                let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: admin + path), timeout: .seconds(10))
                #expect(try await response.consumedStatus() == 200, "\(path)")
            }
        }
    }

    @Test("behind a trusted proxy the WebSocket connection's address is the forwarded one; from anyone else, the peer's")
    func forwardedClientAddress() async throws {
        for (trusted, expected) in [(["127.0.0.0/8"], "203.0.113.7"), ([], "127.0.0.1")] {
            try await HTTPTestServer.with({ $0.server.trustedProxies = trusted }) { server in
                let url = server.baseURL.replacingOccurrences(of: "http://", with: "ws://") + "/ws"
                var configuration = WebSocketClient.Configuration.test(url: url)
                configuration.headers = ["X-Forwarded-For": "6.6.6.6, 203.0.113.7"]
                let client = WebSocketClient(configuration: configuration)
                let probe = ClientProbe(client)
                let running = Task { try? await client.run() }
                defer { running.cancel() }
                try await waitUntil("the client to connect") { !probe.connects.value.isEmpty }
                let id = try #require(probe.connects.value.first)
                #expect(server.hub.connection(ConnectionID(id))?.remoteAddress == expected, "trusting \(trusted)")
                await client.close()
            }
        }
    }
}

extension HTTPClientResponse {
    /// The status code, once the body is read: an unread body keeps AsyncHTTPClient's
    /// connection busy, and the in-process server's graceful shutdown waits for it.
    func consumedStatus() async throws -> UInt {
        _ = try await body.collect(upTo: 1 << 22)
        return status.code
    }
}
