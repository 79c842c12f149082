import RAAFStreaming
import StreamingTestSupport
import StreamingWebSocket
import Testing

/// Agent streams through the client against the real server and the offline model.
@Suite struct ClientAgentStreamTests {
    static let input = "Tell me about streaming over WebSockets."

    /// What the same run gives without any transport.
    static func expectedText(_ input: String = input) async throws -> String {
        try await AgentRunner(provider: ScriptedModelProvider()).run(DemoAgents.assistant, input).finalOutput
    }

    /// Reads `stream` to its end, keeping every event.
    static func events(of stream: AgentEventStream) async throws(StreamingError) -> [AgentStreamEvent] {
        var events: [AgentStreamEvent] = []
        for try await event in stream { events.append(event) }
        return events
    }

    static func text(of events: [AgentStreamEvent]) -> String {
        events.compactMap(\.content).joined()
    }

    @Test func streamGivesExactlyTheRunResultText() async throws {
        let expected = try await Self.expectedText()
        try await TestServer.run { server in
            let client = WebSocketClient(configuration: .test(url: server.url))
            try await running(client) {
                let events = try await Self.events(of: try client.startAgentStream(agent: "assistant", input: Self.input))
                #expect(Self.text(of: events) == expected)
                #expect(events.map(\.seq) == Array(1...events.count))
                guard case .complete(let completion)? = events.last?.kind else {
                    Issue.record("the stream did not end with complete")
                    return
                }
                #expect(completion.content == expected)
                #expect(completion.agent == "assistant")
            }
        }
    }

    @Test func toolCallsAndHandoffsArriveDecoded() async throws {
        let runner = AgentRunner(provider: ScriptedModelProvider())
        var expected: [String] = []
        for try await event in runner.stream(DemoAgents.assistant, "What is the weather in Oslo?") { expected.append(event.typeName) }
        try await TestServer.run { server in
            let client = WebSocketClient(configuration: .test(url: server.url))
            try await running(client) {
                let events = try await Self.events(
                    of: try client.startAgentStream(agent: "assistant", input: "What is the weather in Oslo?"))
                #expect(events.map { ServerMessage.streamEvent($0).type } == expected)
                let call = events.compactMap { event -> ToolCall? in
                    if case .toolCall(let call, _) = event.kind { call } else { nil }
                }
                #expect(call.map(\.name) == ["get_weather"])
            }
        }
    }

    @Test func cutConnectionResumesWithoutGapsOrDuplicates() async throws {
        let expected = try await Self.expectedText()
        // A slow model, so the cut lands in the middle of the stream.
        let provider = SimulatedProvider(base: ScriptedModelProvider(), delay: .milliseconds(4))
        try await TestServer.run(provider: provider) { server in
            let client = WebSocketClient(configuration: .test(url: server.url))
            let probe = ClientProbe(client)
            try await running(client) {
                let stream = try client.startAgentStream(agent: "assistant", input: Self.input)
                var events: [AgentStreamEvent] = []
                var cuts = 0
                for try await event in stream {
                    events.append(event)
                    // Cut the connection under the stream twice, at the 5th and 25th event. The
                    // 25th may be read from frames that arrived before the first cut: cut the
                    // second connection once there is one (a slow machine, or a sanitizer, would
                    // otherwise "cut" the connection that is already gone).
                    guard event.seq == 5 || event.seq == 25 else { continue }
                    if event.seq == 25 {
                        try await waitUntil("the client reconnected") { probe.connects.value.count == 2 && client.clientID != nil }
                    }
                    if let id = client.clientID, let connection = server.hub.connection(ConnectionID(id)) {
                        connection.sink.close(code: .goingAway, reason: "test cut")
                        cuts += 1
                    }
                }
                #expect(cuts == 2)
                #expect(Self.text(of: events) == expected)
                #expect(events.map(\.seq) == Array(1...events.count))
                #expect(events.last?.isComplete == true)
                // It really reconnected (and resumed) in between.
                #expect(probe.connects.value.count == 3)
                let served = try #require(server.hub.streams.stream(stream.id))
                #expect(served.lastSeq == events.count)
            }
        }
    }

    @Test func cancellingTheConsumerCancelsTheRun() async throws {
        let provider = SimulatedProvider(base: ScriptedModelProvider(), delay: .milliseconds(20))
        try await TestServer.run(provider: provider) { server in
            let client = WebSocketClient(configuration: .test(url: server.url))
            try await running(client) {
                let stream = try client.startAgentStream(agent: "assistant", input: Self.input)
                let firstEvent = Flag()
                let consumer = Task {
                    for try await _ in stream { firstEvent.set() }
                }
                try await waitUntil("the first event") { firstEvent.isSet }
                consumer.cancel()
                _ = await consumer.result
                try await waitUntil("the server to cancel the run") { server.hub.streams.stats.cancelled == 1 }
                #expect(server.hub.streams.stats.completed == 0)
            }
        }
    }

    @Test func unknownAgentIsNotFound() async throws {
        try await TestServer.run { server in
            let client = WebSocketClient(configuration: .test(url: server.url))
            try await running(client) {
                let stream = try client.startAgentStream(agent: "nobody", input: "Hi")
                await #expect(throws: StreamingError.notFound("no agent named \"nobody\"")) {
                    _ = try await Self.events(of: stream)
                }
            }
        }
    }

    @Test func streamStartedWhileOfflineRunsOnceConnected() async throws {
        let expected = try await Self.expectedText()
        let port = try Loopback.freePort()
        let client = WebSocketClient(configuration: .test(url: "ws://127.0.0.1:\(port)/ws"))
        try await running(client) {
            let stream = try client.startAgentStream(agent: "assistant", input: Self.input)
            try await TestServer.run(port: port) { _ in
                let (text, completion) = try await stream.collect()
                #expect(text == expected)
                #expect(completion?.content == expected)
            }
        }
    }
}
