import StreamingApplication
import StreamingDomain
import StreamingTestSupport
import Testing

/// In-process paths deliver a token before the model may yield the next (see the gated
/// model): the async runner's event stream and a session's reply.
@Suite("In-process streaming is never held back")
struct InProcessGatedStreamingTests {
    static func collecting<S: AsyncSequence & Sendable>(_ events: S) -> (Locked<String>, Task<Void, any Error>)
    where S.Element == StreamEvent {
        let text = Locked("")
        let task = Task {
            for try await event in events {
                if case .content(let piece) = event.kind { text.withLock { $0 += piece } }
            }
        }
        return (text, task)
    }

    @Test("AsyncRunner.events(of:)")
    func asyncRunner() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: 6))
        try await withPool(model) { pool in
            let id = try pool.processAsync(Agent(name: "a"), "hi")
            let (text, task) = Self.collecting(try pool.events(of: id))
            try await model.releaseOneByOne("AsyncRunner.events(of:)") { model.holds(text.value, $0) }
            try await task.value
        }
    }

    @Test("StreamingSession.send")
    func session() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: 6))
        let session = StreamingSession(runner: AgentRunner(provider: model), agent: Agent(name: "a"))
        let (text, task) = Self.collecting(session.send("hi"))
        try await model.releaseOneByOne("StreamingSession.send") { model.holds(text.value, $0) }
        try await task.value
        #expect(session.history.last?.content == model.answer)
    }
}
