import StreamingDomain

/// The payload of an `agent` job: which agent answers which input, and optionally where
/// to POST the result (``CallbackResult``) when the job ends.
public struct AgentJobPayload: Codable, Sendable, Hashable {
    public var agent: String
    public var input: String
    /// An `http` or `https` URL that receives the result, or the error after the last attempt.
    public var callbackURL: String?
    /// The trace context of the request that enqueued the job (``JobTraceContext``); the
    /// run's spans join its trace. `nil` starts a new trace.
    public var traceContext: [String: String]?

    /// - Parameter traceContext: By default the current context's (``JobTraceContext/inject(tracer:)``).
    public init(
        agent: String, input: String, callbackURL: String? = nil,
        traceContext: [String: String]? = JobTraceContext.inject()
    ) {
        self.agent = agent
        self.input = input
        self.callbackURL = callbackURL
        self.traceContext = traceContext
    }

    enum CodingKeys: String, CodingKey {
        case agent, input
        case callbackURL = "callback_url"
        case traceContext = "trace_context"
    }
}

/// What an `agent` job keeps as its result.
public struct AgentJobResult: Codable, Sendable, Hashable {
    public var finalOutput: String
    /// The agent that gave the final answer, after any handoffs.
    public var agent: String
    public var turns: Int
    public var usage: Usage

    enum CodingKeys: String, CodingKey {
        case agent, turns, usage
        case finalOutput = "final_output"
    }
}

extension BackgroundProcessor {
    /// Registers the `agent` job: it runs the named agent on the input with `runner` and
    /// keeps the answer as the job's result, so an answer can be produced in the background.
    /// An unknown agent name is a permanent failure; model errors are retried.
    ///
    /// With a `callback_url` in the payload, the job's end enqueues a `callback` job
    /// (``registerCallbackJob(sender:)``): the answer when it succeeds, the error after its
    /// last attempt. The callbacks' limits are those of ``MessageQueue/process(_:)``: an
    /// attempt whose callback cannot be enqueued fails (``CallbackEnqueueFailure``), and a
    /// worker killed during the last attempt sends no callback.
    public func registerAgentJob(
        runner: AgentRunner, agents: [String: Agent], name: String = "agent", callbackAttempts: Int = Callbacks.defaultAttempts
    ) {
        let outbox = callbackOutbox(attempts: callbackAttempts)
        register(name, payload: AgentJobPayload.self) { payload, context -> AgentJobResult in
            try await Callbacks.reporting(
                to: payload.callbackURL, context: context, agent: payload.agent, through: outbox,
                answer: { MessageAnswer(finalOutput: $0.finalOutput, agent: $0.agent, usage: $0.usage) }
            ) {
                guard let agent = agents[payload.agent] else {
                    let known = agents.keys.sorted().joined(separator: ", ")
                    throw StreamingError.invalidInput("no agent named \"\(payload.agent)\" (agents: \(known))")
                }
                let result = try await JobTraceContext.consume(
                    "process agent job", carrier: payload.traceContext, tracer: runner.tracer,
                    attributes: ["raaf.job.id": "\(context.job.id)", "gen_ai.agent.name": agent.name]
                ) { try await runner.run(agent, payload.input) }
                return AgentJobResult(
                    finalOutput: result.finalOutput, agent: result.lastAgent.name, turns: result.turns, usage: result.usage)
            }
        }
    }
}
