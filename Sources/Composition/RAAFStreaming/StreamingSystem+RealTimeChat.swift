import StreamingApplication
import StreamingDomain
import StreamingMemory

extension StreamingSystem {
    /// An in-process chat (the guide's `RealTimeChat`) with `agent` answering, kept in memory,
    /// on this system's runner; typing indicators and the longest message from `chat.*`
    /// unless `options` says otherwise. `agents` are the ones ``RealTimeChat/addAgent(_:)``
    /// may bring in (the system's other agents when `nil`).
    public func realTimeChat(
        agent: Agent, agents: [Agent]? = nil, options: RealTimeChat.Options? = nil
    ) throws -> RealTimeChat {
        let chat = configuration.chat
        return try RealTimeChat(
            runner: runner, agent: agent,
            agents: agents ?? self.agents.values.filter { $0.name != agent.name }.sorted { $0.name < $1.name },
            store: InMemoryChatStore(),
            options: options
                ?? RealTimeChat.Options(enableTypingIndicators: chat.enableTypingIndicators, maxMessageLength: chat.maxMessageLength),
            logger: logger(LogLabel.chat))
    }
}
