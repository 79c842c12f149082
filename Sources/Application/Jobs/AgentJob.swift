import StreamingDomain

/// The payload of an `agent` job: which agent answers which input.
public struct AgentJobPayload: Codable, Sendable, Hashable {
    public var agent: String
    public var input: String

    public init(agent: String, input: String) {
        self.agent = agent
        self.input = input
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
    public func registerAgentJob(runner: AgentRunner, agents: [String: Agent], name: String = "agent") {
        register(name, payload: AgentJobPayload.self) { payload, _ -> AgentJobResult in
            guard let agent = agents[payload.agent] else {
                let known = agents.keys.sorted().joined(separator: ", ")
                throw StreamingError.invalidInput("no agent named \"\(payload.agent)\" (agents: \(known))")
            }
            let result = try await runner.run(agent, payload.input)
            return AgentJobResult(
                finalOutput: result.finalOutput,
                agent: result.lastAgent.name,
                turns: result.turns,
                usage: result.usage
            )
        }
    }
}
