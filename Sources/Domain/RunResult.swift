/// The outcome of a finished agent run.
public struct RunResult: Sendable, Equatable {
    /// The whole conversation: the input, every assistant turn and every tool result.
    /// The agents' instructions are not part of it.
    public var messages: [ChatMessage]
    /// The text of the final answer.
    public var finalOutput: String
    /// The agent that gave the final answer (after any handoffs).
    public var lastAgent: Agent
    /// Token usage added up over every model turn.
    public var usage: Usage
    /// How many model turns the run took.
    public var turns: Int

    public init(messages: [ChatMessage], finalOutput: String, lastAgent: Agent, usage: Usage, turns: Int) {
        self.messages = messages
        self.finalOutput = finalOutput
        self.lastAgent = lastAgent
        self.usage = usage
        self.turns = turns
    }
}
