import InMemoryTracing
import StreamingApplication
import StreamingDomain
import StreamingRedisTestSupport
import StreamingTestSupport
import Testing
import Tracing

/// The `chat_answer` span of an answer in a room of the cluster records how the answer
/// ended, as on one node (RAAFStreamingTests' ChatAnswerTracingTests).
@Suite("Chat answer spans in a cluster", .enabled(if: SharedRedisServer.isAvailable, "needs redis-server on PATH or REDIS_URL"))
struct ClusterChatTracingTests {
    @Test("a failed answer in a room of the cluster records its error on its chat_answer span")
    func failedAnswer() async throws {
        let tracer = InMemoryTracer()
        try await withChatCluster(nodes: 2, model: DownModel(), tracer: tracer) { cluster in
            let ann = try cluster.client(on: 1)
            try await ann.create("traced", ["agent": "assistant"])
            try await ann.join("traced", as: "ann")
            ann.say("hello", in: "traced")
            try await waitUntil("the answer to end") { !ann.frames("agent_typing_stop", in: "traced").isEmpty }
            let error = try #require(ann.frames("agent_typing_stop", in: "traced").first?["error"])
            #expect(error["code"] == "provider")
            try await waitUntil("the span to end") { tracer.finishedSpans.contains { $0.operationName == "chat_answer assistant" } }
            let span = try #require(tracer.finishedSpans.first { $0.operationName == "chat_answer assistant" })
            #expect(span.status?.code == .error)
            #expect(span.errors.count == 1)
            let recorded = try #require(span.errors.first?.error as? ProtocolFailure)
            #expect(recorded.code.rawValue == "provider")
            #expect(recorded.message == error["message"]?.stringValue)
        }
    }
}
