import StreamingDomain
import Tracing

/// The tracer a component uses: `override`, else the one the application bootstrapped
/// (`InstrumentationSystem.bootstrap`); `nil` when that is the no-op tracer, so a program
/// without tracing does no span work at all.
enum Traces {
    static func tracer(_ override: (any Tracer)?) -> (any Tracer)? {
        if let override { return override is NoOpTracer ? nil : override }
        // Nothing bootstrapped (the default): one cast to a concrete type says so, where
        // `InstrumentationSystem.tracer` searches for a tracer with protocol casts. This runs
        // once per run (docs/PERFORMANCE.md, issue 16).
        if InstrumentationSystem.instrument is NoOpInstrument { return nil }
        let tracer = InstrumentationSystem.tracer
        return tracer is NoOpTracer ? nil : tracer
    }

    /// The OpenTelemetry GenAI system name this project reports.
    static let system = "raaf"
}

/// The spans of one agent run: the run (`invoke_agent <agent>`), a child per model call
/// (`chat <model>`, with the OpenTelemetry GenAI attributes), a child per tool call
/// (`execute_tool <tool>`, ``toolSpan(_:agent:_:)``) and an event per handoff.
///
/// The run's parent is the service context of the task that starts iterating: a WebSocket
/// `agent_stream`, an SSE request or a chat answer span, or a job's extracted context.
///
/// A class, so a run's iterator holds one reference instead of three existentials: with the
/// spans inline, every run's async frames outgrew the task allocator's slab and cost two
/// more mallocs per run even without a tracer (docs/PERFORMANCE.md, issue 16). Owned by one
/// iterator, never shared.
final class RunTrace {
    let tracer: any Tracer
    let run: any Span
    private var modelCall: (any Span)?
    private var ended = false

    init(tracer: any Tracer, agent: Agent, runID: String) {
        self.tracer = tracer
        run = tracer.startSpan("invoke_agent \(agent.name)", context: ServiceContext.current ?? .topLevel, ofKind: .internal)
        run.attributes["gen_ai.operation.name"] = "invoke_agent"
        run.attributes["gen_ai.system"] = Traces.system
        run.attributes["gen_ai.agent.name"] = agent.name
        run.attributes["raaf.run.id"] = runID
    }

    /// A model call begins.
    func modelCallStarted(_ request: ModelRequest) {
        modelCall?.end()
        let span = tracer.startSpan("chat \(request.model)", context: run.context, ofKind: .client)
        span.attributes["gen_ai.operation.name"] = "chat"
        span.attributes["gen_ai.system"] = Traces.system
        span.attributes["gen_ai.request.model"] = request.model
        span.attributes["gen_ai.agent.name"] = request.agentName
        modelCall = span
    }

    /// The model call ended with `usage` and `finishReason`.
    func modelCallEnded(usage: Usage, finishReason: FinishReason?) {
        guard let span = modelCall else { return }
        span.attributes["gen_ai.usage.input_tokens"] = usage.promptTokens
        span.attributes["gen_ai.usage.output_tokens"] = usage.completionTokens
        if let finishReason { span.attributes["gen_ai.response.finish_reasons"] = [finishReason.rawValue] }
        span.end()
        modelCall = nil
    }

    /// The conversation passed from one agent to another.
    func handoff(_ handoff: Handoff) {
        var attributes: SpanAttributes = [:]
        attributes["raaf.handoff.from"] = handoff.from
        attributes["raaf.handoff.to"] = handoff.to
        if let reason = handoff.reason { attributes["raaf.handoff.reason"] = reason }
        run.addEvent(SpanEvent(name: "handoff", attributes: attributes))
        run.attributes["gen_ai.agent.name"] = handoff.to
    }

    /// The run ended: with its usage and turns, or with `error`.
    func end(result: RunResult? = nil, error: (any Error)? = nil) {
        guard !ended else { return }
        ended = true
        if let error {
            modelCall?.recordError(error)
            modelCall?.setStatus(SpanStatus(code: .error))
            run.recordError(error)
            run.setStatus(SpanStatus(code: .error))
        }
        modelCall?.end()
        modelCall = nil
        if let result {
            run.attributes["gen_ai.usage.input_tokens"] = result.usage.promptTokens
            run.attributes["gen_ai.usage.output_tokens"] = result.usage.completionTokens
            run.attributes["raaf.run.turns"] = result.turns
        }
        run.end()
    }

    /// A run whose consumer stopped reading before it ended (it dropped the iterator: a chat
    /// answer whose room went away, a pipeline processor that threw) still ends its spans,
    /// marked `raaf.run.abandoned`, so a tracer never holds them open.
    deinit {
        guard !ended else { return }
        run.attributes["raaf.run.abandoned"] = true
        modelCall?.end()
        run.end()
    }
}

extension ToolExecution {
    /// Runs `body` in a span `execute_tool <name>` under `parent`, when tracing.
    static func traced(
        _ call: ToolCall, agent: Agent, trace: (tracer: any Tracer, parent: ServiceContext)?,
        _ body: () async -> ToolOutput
    ) async -> ToolOutput {
        guard let trace else { return await body() }
        let span = trace.tracer.startSpan("execute_tool \(call.name)", context: trace.parent, ofKind: .internal)
        span.attributes["gen_ai.operation.name"] = "execute_tool"
        span.attributes["gen_ai.tool.name"] = call.name
        span.attributes["gen_ai.tool.call.id"] = call.id
        span.attributes["gen_ai.agent.name"] = agent.name
        let output = await body()
        if output.isError { span.setStatus(SpanStatus(code: .error, message: output.output)) }
        span.end()
        return output
    }
}
