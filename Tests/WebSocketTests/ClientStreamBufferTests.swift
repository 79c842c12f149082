import RAAFStreaming
import StreamingApplication
import StreamingDomain
import StreamingTestSupport
import Testing

@testable import StreamingWebSocket

/// The bound on an agent stream's unread events: a slow consumer makes the client drop
/// frames and resume them later, and still sees every event once, in order.
@Suite struct ClientStreamBufferTests {
    @Test func fullBufferDropsFramesAndResumesAfterTheDrain() throws {
        var harness = ClientCoreTests.Harness()
        harness.core = ClientCore(maxQueuedMessages: 4, token: nil, maxBufferedEvents: 4)
        harness.open()
        _ = try harness.startStream("s1")
        _ = harness.written()
        for seq in 1...6 { try harness.receive(ClientCoreTests.chunk("s1", seq)) }
        // Four buffered; 5 and 6 dropped, with no resume while the consumer is behind.
        #expect(harness.core.streams["s1"]?.buffered == 4)
        #expect(harness.core.streams["s1"]?.paused == true)
        #expect(harness.core.streams["s1"]?.sequencer.lastDelivered == 4)
        #expect(harness.written().isEmpty)
        // A reconnect while paused does not resume yet.
        harness.lose()
        harness.open()
        #expect(harness.written().isEmpty)
        harness.core.consumed("s1", &harness.effects)
        #expect(harness.written().isEmpty)
        harness.core.consumed("s1", &harness.effects)
        // Down to half: resume after the last buffered seq.
        #expect(harness.written() == [ClientFrame.resume(id: "s1", afterSeq: 4)])
        try harness.receive(ServerFrame.resumed(id: "s1", afterSeq: 4, lastSeq: 6, finished: false).text)
        for seq in 5...6 { try harness.receive(ClientCoreTests.chunk("s1", seq)) }
        #expect(harness.core.streams["s1"]?.sequencer.lastDelivered == 6)
        #expect(harness.core.bufferHighWaterMark == 4)
        #expect(harness.core.bufferPauses == 1)
    }

    @Test func slowConsumerGetsEveryEventOnceWithinTheBound() async throws {
        let expected = try await ClientAgentStreamTests.expectedText()
        let bound = 4
        try await TestServer.run { server in
            var configuration = WebSocketClient.Configuration.test(url: server.url)
            configuration.maxBufferedStreamEvents = bound
            let client = WebSocketClient(configuration: configuration)
            try await running(client) {
                let stream = try client.startAgentStream(agent: "assistant", input: ClientAgentStreamTests.input)
                var events: [AgentStreamEvent] = []
                for try await event in stream {
                    events.append(event)
                    // Slow at first: read nothing more until the buffer has filled and frames
                    // were dropped. The replays after each resume fill it again and again.
                    if events.count == 1 {
                        try await waitUntil("the buffer to fill") { client.streamBufferPauses >= 1 }
                    }
                }
                #expect(ClientAgentStreamTests.text(of: events) == expected)
                #expect(events.map(\.seq) == Array(1...events.count))
                #expect(events.last?.isComplete == true)
                #expect(events.count > bound * 2)
                #expect(client.streamBufferHighWaterMark <= bound)
                #expect(client.streamBufferPauses >= 1)
            }
        }
    }
}
