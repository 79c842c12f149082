import AsyncHTTPClient
import Foundation
import RAAFStreaming
import StreamingTestSupport
import Testing

/// Requests the stream routes refuse, each with the protocol's error object and a fitting status.
@Suite("Refused HTTP requests")
struct HTTPRefusalTests {
    /// The status and the error object's code of a refused request.
    static func refusal(_ response: HTTPClientResponse) async throws -> (status: UInt, code: String?) {
        let body = try await response.json()
        #expect(body["type"] as? String == "error")
        #expect(!(body["message"] as? String ?? "").isEmpty)
        #expect(response.header("Content-Type")?.hasPrefix("application/json") == true)
        return (response.status.code, body["code"] as? String)
    }

    @Test("an unknown agent is 404 not_found; an unknown stream is 404 not_found")
    func unknown() async throws {
        try await HTTPTestServer.with { server in
            let agent = try await server.post("/v1/agents/nobody/stream", json: #"{"input":"hi"}"#)
            #expect(try await Self.refusal(agent) == (404, "not_found"))
            let stream = try await server.get("/v1/streams/no-such-stream")
            #expect(try await Self.refusal(stream) == (404, "not_found"))
        }
    }

    @Test(
        "a body that is not {\"input\": TEXT} is 400 invalid_message",
        arguments: [
            "", "not json", "[1,2]", "{}", #"{"input": 5}"#, #"{"input":"x","id":7}"#, #"{"input":"x","id":""}"#,
            #"{"input":"x"} trailing"#,
        ]
    )
    func badBody(_ body: String) async throws {
        try await HTTPTestServer.with { server in
            let response = try await server.post("/v1/agents/assistant/stream", json: body)
            #expect(try await Self.refusal(response) == (400, "invalid_message"))
            #expect(server.hub.streams.stats.started == 0)
        }
    }

    @Test("a body over websocket.max_message_size is 413 too_large")
    func tooLarge() async throws {
        try await HTTPTestServer.with({ $0.websocket.maxMessageSize = 64 }) { server in
            let body = HTTPTestServer.requestBody(input: String(repeating: "x", count: 100))
            let response = try await server.post("/v1/agents/assistant/stream", json: body)
            #expect(try await Self.refusal(response) == (413, "too_large"))
        }
    }

    @Test("an id already in use is 400 invalid_message; Last-Event-ID that is not a seq of the stream is 400")
    func reusedIDAndBadLastEventID() async throws {
        try await HTTPTestServer.with { server in
            let (first, _) = try await server.stream(agent: "support", input: "hi", id: "once")
            #expect(first.status == .ok)
            let again = try await server.post("/v1/agents/support/stream", json: HTTPTestServer.requestBody(input: "hi", id: "once"))
            #expect(try await Self.refusal(again) == (400, "invalid_message"))
            for value in ["-1", "three", "99999"] {
                let bad = try await server.get("/v1/streams/once", headers: [("Last-Event-ID", value)])
                #expect(try await Self.refusal(bad) == (400, "invalid_message"), "Last-Event-ID: \(value)")
            }
        }
    }

    @Test("more streams than streaming.max_active_streams is 503 server_busy")
    func busy() async throws {
        try await HTTPTestServer.with({
            $0.streaming.maxActiveStreams = 1
            $0.provider.simulationDelay = .milliseconds(20)
        }) { server in
            let first = try await server.post("/v1/agents/support/stream", json: HTTPTestServer.requestBody(input: "slow", id: "slow"))
            #expect(first.status == .ok)
            let second = try await server.post("/v1/agents/support/stream", json: HTTPTestServer.requestBody(input: "more"))
            #expect(try await Self.refusal(second) == (503, "server_busy"))
            // The first stream is unaffected and completes.
            var reader = EventReader(first)
            #expect(try await reader.rest().last?.event == "complete")
        }
    }

    @Test("a stream whose early frames were forgotten is 410 for a reader who needs them")
    func forgottenFrames() async throws {
        try await HTTPTestServer.with({ $0.streaming.replayBufferFrames = 3; $0.streaming.chunkSize = 8 }) { server in
            // The POST's own reader may fall behind a buffer this small; only the run matters here.
            let (response, _) = try await server.stream(agent: "support", input: "hello there")
            let id = try #require(response.header("X-Stream-ID"))
            let stream = try #require(server.hub.streams.stream(id))
            try await waitUntil("the stream to finish") { stream.isFinished }
            let lastSeq = stream.lastSeq
            #expect(lastSeq > 5)
            let fromStart = try await server.get("/v1/streams/\(id)")
            #expect(try await Self.refusal(fromStart) == (410, "not_found"))
            let kept = try await server.get("/v1/streams/\(id)", headers: [("Last-Event-ID", "\(lastSeq - 3)")])
            var reader = EventReader(kept)
            let events = try await reader.rest()
            #expect(events.map(\.id) == [lastSeq - 2, lastSeq - 1, lastSeq].map { String($0) })
            #expect(events.last?.event == "complete")
        }
    }

    @Test("with streaming.enable_sse off the stream routes are absent; the others stay")
    func sseDisabled() async throws {
        try await HTTPTestServer.with({ $0.streaming.enableSSE = false }) { server in
            let post = try await server.post("/v1/agents/assistant/stream", json: #"{"input":"hi"}"#)
            #expect(post.status == .notFound)
            #expect(server.hub.streams.stats.started == 0)
            #expect(try await server.get("/v1/streams/x").status == .notFound)
            #expect(try await server.get("/health").status == .ok)
        }
    }

    @Test("with auth tokens configured, streams need a token and belong to its identity")
    func authentication() async throws {
        try await HTTPTestServer.with({ $0.websocket.authTokens = ["alice-token": "alice", "bob-token": "bob"] }) { server in
            let body = HTTPTestServer.requestBody(input: "hi", id: "alices")
            let anonymous = try await server.post("/v1/agents/support/stream", json: body)
            #expect(try await Self.refusal(anonymous) == (401, "unauthorized"))
            #expect(anonymous.header("WWW-Authenticate") == "Bearer")
            let wrong = try await server.post("/v1/agents/support/stream", json: body, headers: [("Authorization", "Bearer nope")])
            #expect(try await Self.refusal(wrong) == (401, "unauthorized"))

            let alice = try await server.post("/v1/agents/support/stream", json: body, headers: [("Authorization", "Bearer alice-token")])
            #expect(alice.status == .ok)
            var reader = EventReader(alice)
            let events = try await reader.rest()
            #expect(events.last?.event == "complete")

            let bob = try await server.get("/v1/streams/alices", headers: [("Authorization", "Bearer bob-token")])
            #expect(try await Self.refusal(bob) == (403, "forbidden"))
            // A browser EventSource cannot set headers: the token may come as a query parameter.
            let again = try await server.get("/v1/streams/alices?token=alice-token")
            var replay = EventReader(again)
            #expect(try await replay.rest() == events)
        }
    }
}
