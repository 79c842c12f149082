import InMemoryTracing
import RAAFStreaming
import StreamingTestSupport
import Testing
import Tracing

/// A chat answer or an agent stream that fails records its error on its span, as a job's
/// span does for a thrown error: the `chat_answer <agent>` span of a chat answer on one node
/// (the in-process chat runs on the same ChatService as the WebSocket rooms), and the
/// `agent_stream <agent>` span.
@Suite("Spans of failed answers and streams")
struct FailedSpanTests {
    @Test("a failed chat answer records its error on its chat_answer span, with an error status; so does its run")
    func failedAnswer() async throws {
        let tracer = InMemoryTracer()
        var system = try Streaming.configure(environment: [:], provider: DownModel())
        system.tracer = tracer
        let chat = try system.realTimeChat(agent: Agent(name: "assistant", instructions: "Help."), agents: [])
        let thrown = try await chat.withRunning { chat in
            await #expect(throws: StreamingError.self) { try await chat.sendMessage("hello") { _ in } }
        }
        guard case .server(let code, let message)? = thrown else {
            Issue.record("the answer ended with \(String(describing: thrown))")
            return
        }
        #expect(code == "provider")
        try await waitUntil("the answer's span to end") {
            tracer.finishedSpans.contains { $0.operationName == "chat_answer assistant" }
        }
        let spans = tracer.finishedSpans
        let answer = try #require(spans.first { $0.operationName == "chat_answer assistant" })
        #expect(answer.status?.code == .error)
        #expect(answer.errors.count == 1)
        let recorded = try #require(answer.errors.first?.error as? ProtocolFailure)
        #expect(recorded.code.rawValue == code && recorded.message == message)
        let run = try #require(spans.first { $0.operationName == "invoke_agent assistant" })
        #expect(run.parentSpanID == answer.spanID)
        #expect(run.status?.code == .error)
    }

    @Test("a failed agent stream records its error on its agent_stream span")
    func failedStream() async throws {
        let tracer = InMemoryTracer()
        let agent = Agent(name: "assistant", instructions: "Help.")
        let service = AgentStreamService(
            runner: AgentRunner(provider: DownModel(), tracer: tracer), agents: { $0 == agent.name ? agent : nil })
        async let running: Void = service.run()
        let stream = try service.start(id: "s-1", agent: agent.name, input: "hello", owner: nil)
        try await waitUntil("the stream's span to end") {
            tracer.finishedSpans.contains { $0.operationName == "agent_stream assistant" }
        }
        service.shutdown()
        await running
        #expect(stream.isFinished && stream.lastSeq == 1, "the stream ended with its error frame")
        let span = try #require(tracer.finishedSpans.first { $0.operationName == "agent_stream assistant" })
        #expect(span.status?.code == .error)
        let recorded = try #require(span.errors.first?.error as? ProtocolFailure)
        #expect(span.errors.count == 1)
        #expect(recorded.code.rawValue == "provider" && recorded.streamID == "s-1")
    }
}
