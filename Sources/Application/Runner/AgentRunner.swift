import Logging
import StreamingDomain
import Tracing

/// Runs agents: the agent loop of the OpenAI Agents SDK, streamed.
///
/// Each turn streams one model answer. When the model calls tools, the runner assembles
/// the calls from their fragments, runs the turn's tools concurrently, appends their
/// results and asks the model again; a `transfer_to_<agent>` call switches the speaking
/// agent instead. The loop ends with a final answer, or with
/// ``StreamingError/maxTurnsExceeded(maxTurns:)`` when it needs more than `maxTurns` turns.
///
/// Three ways to consume a run, all over the same events:
/// ```swift
/// for try await event in runner.stream(agent, "Hello") { ... }       // StreamEvent
/// try await runner.run(agent, "Hello") { chunk in print(chunk.content ?? "") }
/// let result = try await runner.run(agent, "Hello")                   // RunResult
/// ```
public struct AgentRunner: Sendable {
    public var provider: any ModelProvider
    /// The most model turns one run may take.
    public var maxTurns: Int
    /// The model used for agents that name none.
    public var defaultModel: String
    /// When set, every run publishes `agent.start`, `agent.chunk`, `agent.tool_call`,
    /// `agent.tool_output`, `agent.handoff`, `agent.complete` and `agent.error` here.
    public var eventBus: EventBus?
    public var logger: Logger
    /// The registered agents by name. A handoff switches to the registered agent of the
    /// target's name when there is one, so a handoff may name its target with a placeholder
    /// (`Agent(name: "billing")`) and two agents may hand off to each other.
    public var agents: [String: Agent]
    /// The tracer of this runner's spans; `nil` (the default) uses the tracer the application
    /// bootstrapped with `InstrumentationSystem.bootstrap`. With none bootstrapped (the no-op
    /// tracer) a run does no span work.
    public var tracer: (any Tracer)? {
        get { tracerBox?.tracer }
        set { tracerBox = newValue.map(TracerBox.init) }
    }
    /// ``tracer``, out of line: a runner is copied into every run, and an inline existential
    /// made the run's async frames outgrow the task allocator's slab.
    private var tracerBox: TracerBox?

    public init(
        provider: any ModelProvider,
        maxTurns: Int = 10,
        defaultModel: String = "gpt-4o",
        eventBus: EventBus? = nil,
        logger: Logger = Logger(label: LogLabel.streaming),
        agents: [String: Agent] = [:],
        tracer: (any Tracer)? = nil
    ) {
        self.agents = agents
        self.tracerBox = tracer.map(TracerBox.init)
        self.provider = provider
        self.maxTurns = maxTurns
        self.defaultModel = defaultModel
        self.eventBus = eventBus
        self.logger = logger
    }

    /// The events of a run of `agent` on a user message, as they happen.
    public func stream(_ agent: Agent, _ input: String) -> AgentRunStream {
        AgentRunStream(runner: self, agent: agent, messages: [.user(input)])
    }

    /// The events of a run of `agent` that continues a conversation.
    public func stream(_ agent: Agent, messages: [ChatMessage]) -> AgentRunStream {
        AgentRunStream(runner: self, agent: agent, messages: messages)
    }

    /// Runs `agent` on `input`, calling `onChunk` for every event as it happens, and
    /// returns the result once the run is complete.
    ///
    /// `onChunk` runs in the caller's isolation (for example on the main actor), so it
    /// may touch the caller's state directly.
    @discardableResult
    public func run(
        _ agent: Agent,
        _ input: String,
        isolation: isolated (any Actor)? = #isolation,
        onChunk: (Chunk) async throws -> Void
    ) async throws -> RunResult {
        try await run(stream(agent, input), isolation: isolation, onChunk: onChunk)
    }

    /// Runs `agent` on `input` to the end and returns the result.
    public func run(_ agent: Agent, _ input: String) async throws -> RunResult {
        try await run(stream(agent, input), isolation: nil, onChunk: { _ in })
    }

    /// Runs `agent` on a conversation to the end and returns the result.
    public func run(_ agent: Agent, messages: [ChatMessage]) async throws -> RunResult {
        try await run(stream(agent, messages: messages), isolation: nil, onChunk: { _ in })
    }

    private func run(
        _ events: AgentRunStream,
        isolation: isolated (any Actor)?,
        onChunk: (Chunk) async throws -> Void
    ) async throws -> RunResult {
        for try await event in events {
            try await onChunk(Chunk(event))
            if case .complete(let result) = event.kind { return result }
        }
        // The stream ends only after `complete` or by throwing.
        throw StreamingError.cancelled
    }
}

/// A tracer held by reference (see ``AgentRunner/tracer``).
private final class TracerBox: Sendable {
    let tracer: any Tracer
    init(_ tracer: any Tracer) { self.tracer = tracer }
}
