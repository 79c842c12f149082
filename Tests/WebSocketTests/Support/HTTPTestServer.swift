import AsyncHTTPClient
import Foundation
import NIOCore
import RAAFStreaming
import StreamingTestSupport
import Tracing

/// A ``RealtimeServer`` on a free loopback port, for one test.
struct HTTPTestServer: Sendable {
    let server: RealtimeServer
    let system: StreamingSystem
    let baseURL: String

    var hub: ConnectionHub { server.hub }

    /// The server's WebSocket endpoint.
    var webSocketURL: String { baseURL.replacingOccurrences(of: "http://", with: "ws://") + "/ws" }

    /// Runs `body` against a server configured by `configure` (on top of the defaults: the
    /// environment of the test process is ignored), then shuts it down gracefully and checks
    /// that it stopped.
    static func with(
        _ configure: (inout StreamingConfiguration) -> Void = { _ in },
        jobQueue: (any JobQueue)? = nil,
        chatStore: (any ChatStore)? = nil,
        provider: (any ModelProvider)? = nil,
        tracer: (any Tracer)? = nil,
        _ body: (HTTPTestServer) async throws -> Void
    ) async throws {
        var system = try Streaming.configure(environment: [:], provider: provider) { configure(&$0) }
        system.tracer = tracer
        let server = try RealtimeServer(
            system: system, host: "127.0.0.1", port: 0, jobQueue: jobQueue, chatStore: chatStore ?? InMemoryChatStore(),
            handlesSignals: false)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            let outcome: Result<Void, any Error>
            do {
                try await waitUntil("the server to listen") { server.port != nil }
                try await body(HTTPTestServer(server: server, system: system, baseURL: server.url!))
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            await server.shutdown()
            try await group.waitForAll()
            try outcome.get()
        }
        try await system.shutdown()
    }

    // MARK: Requests

    /// Starts a stream of `agent` with `body` as the JSON request body.
    func post(_ path: String, json body: String, headers: [(String, String)] = []) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        return try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    }

    /// Starts a stream and reads every event to the end.
    func stream(agent: String, input: String, id: String? = nil) async throws -> (HTTPClientResponse, [ServerSentEvent]) {
        let response = try await post("/v1/agents/\(agent)/stream", json: Self.requestBody(input: input, id: id))
        var reader = EventReader(response)
        return (response, try await reader.rest())
    }

    static func requestBody(input: String, id: String? = nil) -> String {
        var fields: [String: String] = ["input": input]
        if let id { fields["id"] = id }
        let data = try! JSONSerialization.data(withJSONObject: fields)
        return String(decoding: data, as: UTF8.self)
    }
}

extension HTTPClientResponse {
    /// The whole body as text.
    func text() async throws -> String {
        String(buffer: try await body.collect(upTo: 1 << 22))
    }

    /// The whole body as a JSON object.
    func json() async throws -> [String: Any] {
        let text = try await text()
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw EventStreamError.notAnObject(text)
        }
        return object
    }

    func header(_ name: String) -> String? { headers[name].first }
}
