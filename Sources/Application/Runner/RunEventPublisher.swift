import StreamingDomain

/// Publishes the events of one run on an ``EventBus`` under the `agent.*` topics.
struct RunEventPublisher {
    static let startTopic = "agent.start"
    static let chunkTopic = "agent.chunk"
    static let toolCallTopic = "agent.tool_call"
    static let toolOutputTopic = "agent.tool_output"
    static let handoffTopic = "agent.handoff"
    static let completeTopic = "agent.complete"
    static let errorTopic = "agent.error"

    let bus: EventBus
    let runID: String

    func started(agent: String, input: String) {
        bus.emit(Self.startTopic, data: ["run_id": .string(runID), "agent": .string(agent), "input": .string(input)])
    }

    func publish(_ event: StreamEvent) {
        let topic =
            switch event.kind {
            case .content: Self.chunkTopic
            case .toolCall: Self.toolCallTopic
            case .toolOutput: Self.toolOutputTopic
            case .handoff: Self.handoffTopic
            case .complete: Self.completeTopic
            }
        bus.emit(topic, .stream(runID: runID, event: event))
    }

    func failed(_ error: any Error) {
        let code = (error as? StreamingError)?.code ?? "internal"
        bus.emit(
            Self.errorTopic,
            data: ["run_id": .string(runID), "code": .string(code), "message": .string(String(describing: error))]
        )
    }
}
