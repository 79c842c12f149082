import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Testing

/// A model that is slow enough to still be running when a test acts on it.
private func slowModel(delay: Duration) -> CancellationProbe {
    CancellationProbe(SimulatedProvider(base: ScriptedModelProvider(), delay: delay))
}

@Suite("Agent streams through the hub", .timeLimit(.minutes(2)))
struct AgentStreamHubTests {
    @Test("agent_stream yields frames with the id and seq 1...N, ending in complete with the run's answer")
    func streamsFrames() async throws {
        let hub = HubFixture.hub()
        let client = try hub.connectClient()
        let input = "Tell me how streaming works"
        try await withRunningHub(hub) {
            client.send(["type": "agent_stream", "id": "s1", "agent": "assistant", "input": .string(input)])
            try await client.waitForEnd(of: "s1")
        }

        let frames = client.streamFrames("s1")
        let expected = try await HubFixture.directAnswer(input)
        #expect(frames.count > 10)
        #expect(seqs(frames) == Array(1...frames.count))
        #expect(frames.allSatisfy { $0["id"] == "s1" })
        #expect(frames.dropLast().allSatisfy { $0["type"] == "response_chunk" })
        let complete = try #require(frames.last)
        #expect(complete["type"] == "complete")
        #expect(complete["content"] == .string(expected))
        #expect(complete["agent"] == "assistant")
        #expect(chunkText(frames) == expected)
        #expect(client.sink.messages(ofType: "error").isEmpty)
        #expect(hub.streams.stats.completed == 1)
        #expect(hub.streams.stats.active == 0)
    }

    @Test("tool calls and their outputs are frames of the stream too")
    func toolFrames() async throws {
        let weather = Tool(name: "get_weather", description: "The weather in a city.", parameters: ["type": "object"]) {
            (arguments: [String: String]) async throws -> String in
            "Sunny in \(arguments["city"] ?? "?")"
        }
        let agent = Agent(name: "forecaster", tools: [weather])
        let hub = HubFixture.hub(streams: HubFixture.service(agents: [agent]))
        let client = try hub.connectClient()
        try await withRunningHub(hub) {
            client.send(#"{"type":"agent_stream","id":"w","agent":"forecaster","input":"weather in Paris and Oslo"}"#)
            try await client.waitForEnd(of: "w")
        }

        let frames = client.streamFrames("w")
        #expect(seqs(frames) == Array(1...frames.count))
        let types = frames.compactMap { $0["type"]?.stringValue }
        #expect(Array(types.prefix(4)) == ["tool_call", "tool_call", "tool_output", "tool_output"])
        #expect(types.last == "complete")
        #expect(frames.filter { $0["type"] == "tool_output" }.map { $0["output"] } == ["Sunny in Paris", "Sunny in Oslo"])
        let expected = try await HubFixture.directAnswer("weather in Paris and Oslo", agent: agent)
        #expect(frames.last?["content"] == .string(expected))
    }

    @Test("without an id the server picks one and every frame carries it")
    func serverChosenID() async throws {
        let hub = HubFixture.hub()
        let client = try hub.connectClient()
        try await withRunningHub(hub) {
            client.send(#"{"type":"agent_stream","agent":"assistant","input":"hi"}"#)
            try await waitUntil(timeout: .seconds(30), "the stream to complete") {
                !client.sink.messages(ofType: "complete").isEmpty
            }
        }
        let frames = client.sink.messages.filter { $0["seq"] != nil }
        let id = try #require(frames.first?["id"]?.stringValue)
        #expect(id.hasPrefix("s-"))
        #expect(frames.allSatisfy { $0["id"] == .string(id) })
        #expect(hub.streams.stream(id)?.isFinished == true)
    }

    @Test("an unknown agent is refused with not_found and the stream id")
    func unknownAgent() async throws {
        let hub = HubFixture.hub()
        let client = try hub.connectClient()
        client.sink.clear()
        client.send(#"{"type":"agent_stream","id":"x","agent":"nobody","input":"hi"}"#)

        let error = try #require(client.sink.last)
        #expect(error["type"] == "error")
        #expect(error["code"] == "not_found")
        #expect(error["id"] == "x")
        #expect(error["request_type"] == "agent_stream")
        #expect(hub.streams.stream("x") == nil)
        #expect(hub.streams.stats.started == 0)
    }

    @Test("an id already in use is refused with invalid_message")
    func idInUse() async throws {
        let model = slowModel(delay: .seconds(3600))
        let hub = HubFixture.hub(streams: HubFixture.service(provider: model))
        let client = try hub.connectClient()
        try await withRunningHub(hub) {
            client.send(#"{"type":"agent_stream","id":"dup","agent":"assistant","input":"one"}"#)
            client.send(#"{"type":"agent_stream","id":"dup","agent":"assistant","input":"two"}"#)
            #expect(client.sink.errorCodes == ["invalid_message"])
            #expect(client.sink.messages(ofType: "error").first?["id"] == "dup")
            #expect(hub.streams.stream("dup")?.input == "one")
        }
    }

    @Test("two streams run concurrently on one connection, each numbered on its own")
    func concurrentStreams() async throws {
        let hub = HubFixture.hub(streams: HubFixture.service(provider: slowModel(delay: .milliseconds(5))))
        let client = try hub.connectClient()
        try await withRunningHub(hub) {
            client.send(#"{"type":"agent_stream","id":"a","agent":"assistant","input":"first question"}"#)
            client.send(#"{"type":"agent_stream","id":"b","agent":"assistant","input":"second question"}"#)
            #expect(hub.streams.stats.active == 2)
            try await client.waitForEnd(of: "a")
            try await client.waitForEnd(of: "b")
        }

        let a = client.streamFrames("a")
        let b = client.streamFrames("b")
        #expect(seqs(a) == Array(1...a.count))
        #expect(seqs(b) == Array(1...b.count))
        #expect(a.last?["content"] == .string(try await HubFixture.directAnswer("first question")))
        #expect(b.last?["content"] == .string(try await HubFixture.directAnswer("second question")))
        #expect(chunkText(a) == a.last?["content"]?.stringValue)
        #expect(chunkText(b) == b.last?["content"]?.stringValue)
        // They overlapped: b's first frame came before a's last.
        let order = client.sink.messages.filter { $0["seq"] != nil }.map { $0["id"]?.stringValue ?? "" }
        let firstB = try #require(order.firstIndex(of: "b"))
        let lastA = try #require(order.lastIndex(of: "a"))
        #expect(firstB < lastA)
    }

    @Test("cancel stops the model request and ends the stream with an error frame coded cancelled")
    func cancelStopsTheModel() async throws {
        let model = slowModel(delay: .seconds(3600))
        let hub = HubFixture.hub(streams: HubFixture.service(provider: model))
        let client = try hub.connectClient()
        try await withRunningHub(hub) {
            client.send(#"{"type":"agent_stream","id":"s1","agent":"assistant","input":"hi"}"#)
            // The run is now waiting on the model's next delta.
            try await waitUntil(timeout: .seconds(30), "the run to wait on the model") { model.pulls == 1 }
            client.send(#"{"type":"cancel","id":"s1"}"#)
            try await client.waitForEnd(of: "s1")
        }

        #expect(model.wasCancelled)
        #expect(model.deltas == 0)
        let frames = client.streamFrames("s1")
        #expect(frames == [["type": "error", "id": "s1", "seq": 1, "code": "cancelled", "message": "the stream was cancelled"]])
        #expect(hub.streams.stats.cancelled == 1)
        #expect(hub.streams.stats.active == 0)
        #expect(hub.streams.stream("s1")?.isFinished == true)
    }

    @Test("a cancel in the middle of an answer ends it after the frames so far, without a gap")
    func cancelMidStream() async throws {
        let model = slowModel(delay: .milliseconds(10))
        let hub = HubFixture.hub(streams: HubFixture.service(provider: model))
        let client = try hub.connectClient()
        let input = "a long question"
        try await withRunningHub(hub) {
            client.send(["type": "agent_stream", "id": "s1", "agent": "assistant", "input": .string(input)])
            try await client.waitForFrames(of: "s1", count: 3)
            client.send(#"{"type":"cancel","id":"s1"}"#)
            try await client.waitForEnd(of: "s1")

            // Finished: a second cancel finds nothing running.
            client.send(#"{"type":"cancel","id":"s1"}"#)
            #expect(client.sink.last?["code"] == "not_found")
            #expect(client.sink.last?["id"] == "s1")
        }

        let frames = client.streamFrames("s1")
        #expect(seqs(frames) == Array(1...frames.count))
        #expect(frames.last?["type"] == "error")
        #expect(frames.last?["code"] == "cancelled")
        #expect(!frames.contains { $0["type"] == "complete" })
        let answer = try await HubFixture.directAnswer(input)
        #expect(answer.hasPrefix(chunkText(frames)))
        #expect(chunkText(frames).count < answer.count)
    }

    @Test("cancel of an unknown stream is not_found")
    func cancelUnknown() throws {
        let hub = HubFixture.hub()
        let client = try hub.connectClient()
        client.send(#"{"type":"cancel","id":"ghost"}"#)
        #expect(client.sink.last?["code"] == "not_found")
        #expect(client.sink.last?["id"] == "ghost")
        #expect(client.sink.last?["request_type"] == "cancel")
    }

    @Test("maxStreamsPerConnection refuses one more running stream with server_busy")
    func maxStreamsPerConnection() async throws {
        let model = slowModel(delay: .seconds(3600))
        let hub = HubFixture.hub(
            options: ConnectionHubOptions(maxStreamsPerConnection: 1),
            streams: HubFixture.service(provider: model)
        )
        let client = try hub.connectClient()
        let other = try hub.connectClient()
        try await withRunningHub(hub) {
            client.send(#"{"type":"agent_stream","id":"s1","agent":"assistant","input":"one"}"#)
            client.send(#"{"type":"agent_stream","id":"s2","agent":"assistant","input":"two"}"#)
            let busy = try #require(client.sink.messages(ofType: "error").first)
            #expect(busy["code"] == "server_busy")
            #expect(busy["id"] == "s2")
            #expect(hub.streams.stream("s2") == nil)

            // The limit is per connection.
            other.send(#"{"type":"agent_stream","id":"o1","agent":"assistant","input":"three"}"#)
            #expect(other.sink.messages(ofType: "error").isEmpty)

            // Once the first has ended, the connection may start another.
            client.send(#"{"type":"cancel","id":"s1"}"#)
            try await client.waitForEnd(of: "s1")
            client.send(#"{"type":"agent_stream","id":"s3","agent":"assistant","input":"four"}"#)
            // No refusal for s3: the errors are s2's refusal and s1's cancelled end.
            #expect(client.sink.errorCodes == ["server_busy", "cancelled"])
            #expect(hub.streams.stream("s3") != nil)
        }
    }

    @Test("maxActiveStreams bounds the streams running across the server")
    func maxActiveStreams() async throws {
        let service = HubFixture.service(
            provider: slowModel(delay: .seconds(3600)), options: AgentStreamOptions(maxActiveStreams: 2))
        let hub = HubFixture.hub(streams: service)
        let clients = try (0..<3).map { _ in try hub.connectClient() }
        try await withRunningHub(hub) {
            for (index, client) in clients.enumerated() {
                client.send(["type": "agent_stream", "id": .string("s\(index)"), "agent": "assistant", "input": "x"])
            }
            #expect(clients.map(\.sink.errorCodes) == [[], [], ["server_busy"]])
            #expect(hub.stats.activeStreams == 2)
        }
    }

    @Test("shutdown cancels running streams and run() returns")
    func shutdownCancelsStreams() async throws {
        let model = slowModel(delay: .seconds(3600))
        let hub = HubFixture.hub(streams: HubFixture.service(provider: model))
        let client = try hub.connectClient()
        try await withRunningHub(hub) {
            client.send(#"{"type":"agent_stream","id":"s1","agent":"assistant","input":"hi"}"#)
            try await waitUntil(timeout: .seconds(30), "the run to wait on the model") { model.pulls == 1 }
        }
        // withRunningHub waited for run() to return, which waits for every run to end.
        #expect(model.wasCancelled)
        #expect(hub.streams.stats.active == 0)
        #expect(hub.streams.stats.cancelled == 1)
        #expect(hub.streams.stream("s1")?.isFinished == true)
        #expect(client.sink.closeCode == .goingAway)
        // No new streams after shutdown.
        #expect(throws: ProtocolFailure.self) {
            try hub.streams.start(id: nil, agent: "assistant", input: "late", owner: nil)
        }
    }
}
