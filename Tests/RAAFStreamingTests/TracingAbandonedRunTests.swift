import InMemoryTracing
import RAAFStreaming
import StreamingTestSupport
import Testing
import Tracing

@Suite("Traces of runs whose consumer stops early")
struct TracingAbandonedRunTests {
    @Test("a run whose iterator is dropped mid-answer ends its run and model-call spans, marked abandoned")
    func droppedIteratorEndsSpans() async throws {
        let tracer = InMemoryTracer()
        let model = GatedModel(tokens: GatedModel.tokens(count: 10))
        let runner = AgentRunner(provider: model, defaultModel: "gpt-4o", tracer: tracer)
        model.release()
        do {
            var events = runner.stream(Agent(name: "assistant", instructions: "Help."), "hi").makeAsyncIterator()
            while let event = try await events.next() {
                if case .content = event.kind { break }
            }
            #expect(tracer.activeSpans.count == 2, "the run and its model call are open while the answer streams")
        }
        // The iterator is gone: nothing is left open.
        #expect(tracer.activeSpans.isEmpty)
        let run = try #require(tracer.finishedSpans.first { $0.operationName == "invoke_agent assistant" })
        #expect(run.attributes["raaf.run.abandoned"]?.toSpanAttribute() == .bool(true))
        #expect(tracer.finishedSpans.contains { $0.operationName == "chat gpt-4o" && $0.parentSpanID == run.spanID })
        model.releaseAll()
    }
}
