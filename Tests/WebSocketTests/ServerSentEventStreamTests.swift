import AsyncHTTPClient
import Foundation
import RAAFStreaming
import StreamingTestSupport
import Testing

/// `POST /v1/agents/{name}/stream` and `GET /v1/streams/{id}` on the offline model, over real HTTP.
@Suite("Agent streams as Server-Sent Events")
struct ServerSentEventStreamTests {
    @Test("a POSTed stream sends every frame as an event, seq 1...N, and its text is the run's answer")
    func postStream() async throws {
        try await HTTPTestServer.with { server in
            let input = "What's the weather in Paris?"
            let (response, events) = try await server.stream(agent: "assistant", input: input)
            #expect(response.status == .ok)
            #expect(response.header("Content-Type") == "text/event-stream")
            #expect(response.header("Cache-Control") == "no-cache")
            let streamID = try #require(response.header("X-Stream-ID"))

            let frames = try events.map { try $0.json() }
            #expect(!events.isEmpty)
            #expect(events.map(\.id) == (1...events.count).map { String($0) })
            #expect(frames.map { $0["seq"] as? Int } == Array(1...events.count))
            #expect(events.map(\.event) == frames.map { $0["type"] as? String })
            #expect(frames.allSatisfy { $0["id"] as? String == streamID })
            #expect(events.map(\.event).contains("tool_call"))
            #expect(events.map(\.event).contains("tool_output"))
            #expect(events.last?.event == "complete")

            let expected = try await server.system.runner.run(DemoAgents.assistant, input)
            #expect(frames.last?["content"] as? String == expected.finalOutput)
        }
    }

    @Test("the chunks of an answer without tools add up to the run's text, UTF-8 and line breaks intact")
    func chunksAddUp() async throws {
        try await HTTPTestServer.with({ $0.streaming.chunkSize = 7 }) { server in
            let input = "Ünïcødé “quotes” — and\nnew lines ✓"
            let (_, events) = try await server.stream(agent: "support", input: input, id: "my-stream-1")
            let frames = try events.map { try $0.json() }
            #expect(frames.allSatisfy { $0["id"] as? String == "my-stream-1" })
            let text = frames.filter { $0["type"] as? String == "response_chunk" }.compactMap { $0["content"] as? String }
            #expect(text.count > 3)
            let expected = try await server.system.runner.run(DemoAgents.support, input)
            #expect(text.joined() == expected.finalOutput)
            #expect(frames.last?["content"] as? String == expected.finalOutput)
        }
    }

    @Test("GET /v1/streams/{id} replays a finished stream from the start, or after Last-Event-ID")
    func resume() async throws {
        try await HTTPTestServer.with({ $0.streaming.chunkSize = 16 }) { server in
            let (response, original) = try await server.stream(agent: "assistant", input: "weather in Oslo")
            let id = try #require(response.header("X-Stream-ID"))
            #expect(original.count > 4)

            let replay = try await server.get("/v1/streams/\(id)")
            #expect(replay.status == .ok)
            #expect(replay.header("Content-Type") == "text/event-stream")
            #expect(replay.header("X-Stream-ID") == id)
            var reader = EventReader(replay)
            #expect(try await reader.rest() == original)

            let resumed = try await server.get("/v1/streams/\(id)", headers: [("Last-Event-ID", "3")])
            var rest = EventReader(resumed)
            #expect(try await rest.rest() == Array(original.dropFirst(3)))

            let atEnd = try await server.get("/v1/streams/\(id)", headers: [("Last-Event-ID", "\(original.count)")])
            #expect(atEnd.status == .ok)
            var nothing = EventReader(atEnd)
            #expect(try await nothing.rest().isEmpty)
        }
    }

    @Test("a client that disconnects leaves the stream running; another follows it live after Last-Event-ID")
    func disconnectAndFollow() async throws {
        // 20 ms before each offline chunk: the run lasts long enough to leave and come back.
        try await HTTPTestServer.with({ $0.provider.simulationDelay = .milliseconds(20); $0.streaming.chunkSize = 4 }) { server in
            let firstTwo = Locked<[ServerSentEvent]>([])
            let reading = Task {
                let response = try await server.post(
                    "/v1/agents/support/stream", json: HTTPTestServer.requestBody(input: "hello", id: "left-early"))
                var reader = EventReader(response)
                while let event = try await reader.next() {
                    let count = firstTwo.withLock { events -> Int in
                        events.append(event)
                        return events.count
                    }
                    // Hold the connection open without reading further until cancelled.
                    if count == 2 { try await Task.sleep(for: .seconds(60)) }
                }
            }
            try await waitUntil("two events") { firstTwo.value.count == 2 }
            reading.cancel()
            _ = await reading.result

            let stream = try #require(server.hub.streams.stream("left-early"))
            #expect(!stream.isFinished, "the run should outlast the first two chunks")
            let follow = try await server.get("/v1/streams/left-early", headers: [("Last-Event-ID", "2")])
            var reader = EventReader(follow)
            let rest = try await reader.rest()
            #expect(rest.first?.id == "3")
            #expect(rest.map(\.id) == (3..<(3 + rest.count)).map { String($0) })
            #expect(rest.last?.event == "complete")
            let stats = server.hub.streams.stats
            #expect(stats.completed == 1)
            #expect(stats.cancelled == 0)
        }
    }

    @Test("a graceful shutdown lets an open event stream finish; with no grace left it ends with shutting_down",
          arguments: [Duration.seconds(30), .zero])
    func shutdownDrainsStreams(grace: Duration) async throws {
        let seen = Locked<[ServerSentEvent]>([])
        // Small chunks, 20 ms apart: the first event arrives long before the run ends.
        try await HTTPTestServer.with({
            $0.provider.simulationDelay = .milliseconds(20)
            $0.streaming.chunkSize = 4
            $0.server.shutdownGrace = grace
        }) { server in
            let response = try await server.post("/v1/agents/support/stream", json: HTTPTestServer.requestBody(input: "hi"))
            var reader = EventReader(response)
            let first = try #require(try await reader.next())
            seen.withLock { $0.append(first) }
            await server.server.shutdown()
            let rest = try await reader.rest()
            seen.withLock { $0.append(contentsOf: rest) }
        }
        let events = seen.value
        if grace > .zero {
            #expect(events.last?.event == "complete")
        } else {
            #expect(events.last?.event == "error")
            #expect(try events.last?.json()["code"] as? String == "shutting_down")
        }
        #expect(events.map(\.id) == (1...events.count).map { String($0) })
    }
}
