import Foundation
import InMemoryTracing
import RAAFStreaming
import StreamingTestSupport
import Testing
import Tracing

/// Spans with swift-distributed-tracing, recorded by an `InMemoryTracer` given to the runner
/// (no global bootstrap, so suites stay independent).
@Suite("Traces of runs, tools, handoffs and jobs")
struct TracingTests {
    struct City: Decodable, Sendable { var city: String }

    static let weather = Tool(
        name: "get_weather", description: "Weather.",
        parameters: ["type": "object", "properties": ["city": ["type": "string"]]]
    ) { (arguments: City) async throws -> String in "\(arguments.city): sunny" }
    static let support = Agent(name: "support", instructions: "Support.")
    static let assistant = Agent(name: "assistant", instructions: "Help.", tools: [weather], handoffs: [support])

    static func runner(_ tracer: InMemoryTracer) -> AgentRunner {
        AgentRunner(provider: ScriptedModelProvider(), defaultModel: "gpt-4o", tracer: tracer)
    }

    static func string(_ attribute: (any SpanAttributeConvertible)?) -> String? {
        if case .string(let value) = attribute?.toSpanAttribute() { return value }
        return nil
    }

    static func int(_ attribute: (any SpanAttributeConvertible)?) -> Int? {
        if case .int64(let value) = attribute?.toSpanAttribute() { return Int(value) }
        return nil
    }

    static func strings(_ attribute: (any SpanAttributeConvertible)?) -> [String]? {
        if case .stringArray(let value) = attribute?.toSpanAttribute() { return value }
        return nil
    }

    @Test("a run is a span with a chat child per model call (GenAI attributes) and a span per tool call")
    func runModelAndToolSpans() async throws {
        let tracer = InMemoryTracer()
        let result = try await Self.runner(tracer).run(Self.assistant, "weather in Oslo")
        let spans = tracer.finishedSpans
        let run = try #require(spans.first { $0.operationName == "invoke_agent assistant" })
        #expect(run.parentSpanID == nil)
        #expect(Self.string(run.attributes["gen_ai.operation.name"]) == "invoke_agent")
        #expect(Self.int(run.attributes["gen_ai.usage.output_tokens"]) == result.usage.completionTokens)

        let chats = spans.filter { $0.operationName == "chat gpt-4o" }
        #expect(chats.count == 2)
        for chat in chats {
            #expect(chat.parentSpanID == run.spanID)
            #expect(chat.traceID == run.traceID)
            #expect(chat.kind == .client)
            #expect(Self.string(chat.attributes["gen_ai.operation.name"]) == "chat")
            #expect(Self.string(chat.attributes["gen_ai.request.model"]) == "gpt-4o")
            #expect((Self.int(chat.attributes["gen_ai.usage.input_tokens"]) ?? 0) > 0)
            #expect((Self.int(chat.attributes["gen_ai.usage.output_tokens"]) ?? 0) > 0)
        }
        #expect(chats.map { Self.strings($0.attributes["gen_ai.response.finish_reasons"]) } == [["tool_calls"], ["stop"]])
        let inputTokens = chats.compactMap { Self.int($0.attributes["gen_ai.usage.input_tokens"]) }.reduce(0, +)
        #expect(inputTokens == result.usage.promptTokens)

        let tool = try #require(spans.first { $0.operationName == "execute_tool get_weather" })
        #expect(tool.parentSpanID == run.spanID)
        #expect(Self.string(tool.attributes["gen_ai.tool.name"]) == "get_weather")
        #expect(Self.string(tool.attributes["gen_ai.tool.call.id"]) != nil)
        #expect(tracer.activeSpans.isEmpty)
    }

    @Test("a handoff is an event on the run span; the run joins the caller's trace")
    func handoffEventAndParent() async throws {
        let tracer = InMemoryTracer()
        let runner = Self.runner(tracer)
        try await tracer.withSpan("request", context: .topLevel) { _ in
            _ = try await runner.run(Self.assistant, "transfer me to support")
        }
        let spans = tracer.finishedSpans
        let request = try #require(spans.first { $0.operationName == "request" })
        let run = try #require(spans.first { $0.operationName == "invoke_agent assistant" })
        #expect(run.parentSpanID == request.spanID)
        #expect(run.traceID == request.traceID)
        let handoff = try #require(run.events.first { $0.name == "handoff" })
        #expect(Self.string(handoff.attributes["raaf.handoff.from"]) == "assistant")
        #expect(Self.string(handoff.attributes["raaf.handoff.to"]) == "support")
        #expect(Self.string(run.attributes["gen_ai.agent.name"]) == "support")
    }

    @Test("a failed run records its error on the run span")
    func failedRun() async throws {
        let tracer = InMemoryTracer()
        let runner = AgentRunner(provider: ScriptedModelProvider(), maxTurns: 1, tracer: tracer)
        await #expect(throws: StreamingError.self) { try await runner.run(Self.assistant, "weather in Oslo") }
        let run = try #require(tracer.finishedSpans.first { $0.operationName.hasPrefix("invoke_agent") })
        #expect(run.status?.code == .error)
        #expect(run.errors.count == 1)
    }

    @Test("a message carries its trace context from enqueue to the consumer: one trace from the request to the run")
    func messageTraceContext() async throws {
        let tracer = InMemoryTracer()
        let runner = Self.runner(tracer)
        let jobs = InMemoryJobQueue()
        let messages = MessageQueue(queue: jobs, pollInterval: .milliseconds(10), tracer: tracer)
        let id = try await tracer.withSpan("enqueue request", context: .topLevel) { _ in
            try await messages.enqueue(message: "weather in Oslo", agentConfig: AgentConfiguration(name: "assistant"))
        }
        let stored = try #require(try await jobs.job(id))
        let carried = try JSONDecoder().decode(QueuedMessage.self, from: Data(stored.payload)).traceContext
        #expect(carried?[InMemoryTracer.traceIDKey] != nil)

        let consumer = Task {
            try await messages.process { received in
                MessageAnswer(try await runner.run(Self.assistant, received.message.content))
            }
        }
        try await waitUntil("the message to be answered") { (try? await jobs.job(id))?.state == .completed }
        messages.shutdown()
        try await consumer.value

        let spans = tracer.finishedSpans
        let request = try #require(spans.first { $0.operationName == "enqueue request" })
        let process = try #require(spans.first { $0.operationName == "process message" })
        let run = try #require(spans.first { $0.operationName == "invoke_agent assistant" })
        #expect(process.kind == .consumer)
        #expect(process.traceID == request.traceID)
        #expect(process.parentSpanID == request.spanID)
        #expect(run.traceID == request.traceID)
        #expect(run.parentSpanID == process.spanID)
    }
}
