#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StreamingDomain
import Tracing

/// The events of one agent run, produced as the consumer asks for them.
///
/// Iterating drives the run: each `next()` pulls from the model stream or runs the
/// turn's tools, so nothing runs ahead of the consumer and no task or buffer sits in
/// between. Stopping the iteration, or cancelling the iterating task, stops the model
/// request and the running tools. Events are numbered from 1 without gaps.
///
/// Errors are thrown as ``StreamingError`` (cancellation as ``StreamingError/cancelled``).
public struct AgentRunStream: AsyncSequence, Sendable {
    public typealias Element = StreamEvent
    public typealias Failure = any Error

    /// Identifies this run in published events and logs.
    public let runID: String
    let runner: AgentRunner
    let agent: Agent
    let messages: [ChatMessage]

    init(runner: AgentRunner, agent: Agent, messages: [ChatMessage]) {
        self.runID = UUID().uuidString.lowercased()
        self.runner = runner
        self.agent = agent
        self.messages = messages
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(stream: self)
    }

    public struct Iterator: AsyncIteratorProtocol {
        private enum Phase {
            case start
            case needTurn
            case streaming
            case runTools([ToolCall], handoff: PlannedHandoff?)
            case done
        }

        private struct PlannedHandoff {
            var call: ToolCall
            var target: Agent
            var ignored: [ToolCall]
        }

        private let runner: AgentRunner
        private let publisher: RunEventPublisher?
        private var agent: Agent
        private var messages: [ChatMessage]
        private var phase = Phase.start
        private var turns = 0
        private var usage = Usage.zero
        private var seq = 0
        private var deltas: ModelResponseStream.AsyncIterator?
        private var turn = ModelTurnAccumulator()
        private var pending: [StreamEvent.Kind] = []
        private var pendingIndex = 0
        private let runID: String
        /// The run's spans, when a tracer is bootstrapped (or given to the runner).
        private var trace: RunTrace?

        init(stream: AgentRunStream) {
            runID = stream.runID
            runner = stream.runner
            agent = stream.agent
            messages = stream.messages
            publisher = stream.runner.eventBus.map { RunEventPublisher(bus: $0, runID: stream.runID) }
        }

        public mutating func next() async throws -> StreamEvent? {
            do {
                return try await step()
            } catch {
                throw fail(error)
            }
        }

        private mutating func step() async throws -> StreamEvent? {
            while true {
                if pendingIndex < pending.count {
                    let kind = pending[pendingIndex]
                    pendingIndex += 1
                    if pendingIndex == pending.count {
                        pending.removeAll(keepingCapacity: true)
                        pendingIndex = 0
                    }
                    return emit(kind)
                }
                switch phase {
                case .done:
                    return nil
                case .start:
                    if let tracer = Traces.tracer(runner.tracer) {
                        trace = RunTrace(tracer: tracer, agent: agent, runID: runID)
                    }
                    // The input is the last message: nothing was appended before the start.
                    publisher?.started(agent: agent.name, input: messages.last?.content ?? "")
                    runner.logger.debug("run started", metadata: ["agent": "\(agent.name)"])
                    phase = .needTurn
                case .needTurn:
                    try await startTurn()
                case .streaming:
                    if Task.isCancelled { throw CancellationError() }
                    guard let delta = try await deltas!.next() else {
                        // Some sequences (AsyncStream among them) end quietly when the task is
                        // cancelled: that is not the end of the answer.
                        if Task.isCancelled { throw CancellationError() }
                        deltas = nil
                        finishTurn()
                        continue
                    }
                    try turn.add(delta)
                    switch delta {
                    case .text(let text), .refusal(let text):
                        if !text.isEmpty { return emit(.content(text)) }
                    default:
                        break
                    }
                case .runTools(let calls, let handoff):
                    try await runTools(calls, handoff: handoff)
                }
            }
        }

        private mutating func startTurn() async throws {
            try Task.checkCancellation()
            guard turns < runner.maxTurns else {
                throw StreamingError.maxTurnsExceeded(maxTurns: runner.maxTurns)
            }
            turns += 1
            let request = ModelRequest(
                model: agent.model ?? runner.defaultModel,
                messages: agent.instructions.isEmpty ? messages : [.system(agent.instructions)] + messages,
                tools: agent.toolDefinitions,
                settings: agent.settings,
                agentName: agent.name
            )
            trace?.modelCallStarted(request)
            deltas = try await runner.provider.stream(request).makeAsyncIterator()
            phase = .streaming
        }

        /// Ends a model turn: either the final answer, or tool calls to run next.
        private mutating func finishTurn() {
            let calls = turn.toolCalls(turn: turns)
            let text = turn.text
            trace?.modelCallEnded(usage: turn.usage, finishReason: turn.finishReason)
            usage += turn.usage
            turn = ModelTurnAccumulator()
            messages.append(.assistant(text, toolCalls: calls))
            if calls.isEmpty {
                let result = RunResult(
                    messages: messages,
                    finalOutput: text,
                    lastAgent: agent,
                    usage: usage,
                    turns: turns
                )
                pending.append(.complete(result))
                trace?.end(result: result)
                trace = nil
                phase = .done
                return
            }
            var toolCalls: [ToolCall] = []
            var handoff: PlannedHandoff?
            for call in calls {
                if let target = agent.handoffTarget(forTool: call.name) {
                    if handoff == nil {
                        handoff = PlannedHandoff(call: call, target: target, ignored: [])
                    } else {
                        handoff!.ignored.append(call)
                    }
                } else {
                    toolCalls.append(call)
                    pending.append(.toolCall(call, agent: agent.name))
                }
            }
            phase = .runTools(toolCalls, handoff: handoff)
        }

        private mutating func runTools(_ calls: [ToolCall], handoff: PlannedHandoff?) async throws {
            if !calls.isEmpty {
                let outputs = await ToolExecution.run(calls, agent: agent, trace: trace.map { ($0.tracer, $0.run.context) })
                try Task.checkCancellation()
                for output in outputs {
                    messages.append(.tool(toolCallID: output.callID, content: output.output))
                    pending.append(.toolOutput(output))
                }
            }
            if let handoff {
                let target = runner.agents[handoff.target.name] ?? handoff.target
                messages.append(.tool(toolCallID: handoff.call.id, content: #"{"assistant":"\#(target.name)"}"#))
                for ignored in handoff.ignored {
                    messages.append(
                        .tool(
                            toolCallID: ignored.id,
                            content: "Ignored: the conversation was already handed to \(target.name)."
                        )
                    )
                }
                let event = Handoff(
                    from: agent.name,
                    to: target.name,
                    reason: ToolExecution.handoffReason(handoff.call),
                    callID: handoff.call.id
                )
                trace?.handoff(event)
                pending.append(.handoff(event))
                agent = target
            }
            phase = .needTurn
        }

        private mutating func emit(_ kind: StreamEvent.Kind) -> StreamEvent {
            seq += 1
            let event = StreamEvent(seq: seq, kind: kind)
            publisher?.publish(event)
            return event
        }

        /// Ends the run on `error` and returns it as a `StreamingError` where it has a meaning there.
        private mutating func fail(_ error: any Error) -> any Error {
            phase = .done
            deltas = nil
            pending.removeAll()
            pendingIndex = 0
            let reported: any Error =
                if error is CancellationError { StreamingError.cancelled } else { error }
            trace?.end(error: reported)
            trace = nil
            publisher?.failed(reported)
            if case StreamingError.cancelled = reported {
                runner.logger.debug("run cancelled", metadata: ["agent": "\(agent.name)"])
            } else {
                runner.logger.debug("run failed", metadata: ["agent": "\(agent.name)", "error": "\(reported)"])
            }
            return reported
        }
    }
}
