import StreamingDomain
import Synchronization

/// A multi-turn conversation with an agent that keeps its history.
///
/// Each ``send(_:)`` streams the answer to one user message; when the answer is complete
/// the session appends the message, the answer and any tool calls and results to its
/// ``history``, and sends the whole history with the next message:
/// ```swift
/// let session = StreamingSession(runner: runner, agent: assistant, historyLimit: 50)
/// for try await event in session.send("What's the weather in Paris?") {
///     if let text = event.content { print(text, terminator: "") }
/// }
/// let result = try await session.respond(to: "And in Oslo?")   // sees the first turn
/// ```
///
/// - Turns are atomic: a turn that fails, is cancelled, or whose consumer stops before the
///   `complete` event changes nothing, neither the history nor the agent.
/// - After a handoff the next message goes to the agent that answered last, as the OpenAI
///   Agents SDK does with `last_agent`.
/// - One answer at a time: while a reply is being iterated, iterating another reply of the
///   same session throws ``StreamingError/invalidInput(_:)`` rather than waiting in line.
/// - With a ``historyLimit`` the session keeps only the most recent messages, and never
///   keeps a tool result without the assistant message that called it (see
///   `Array<ChatMessage>.trimmed(toLast:)`).
///
/// ``fork()`` makes an independent copy, ``checkpoint()`` and ``restore(_:)`` go back in
/// time, and ``export()`` and ``restored(from:runner:agents:)`` store a session as JSON.
/// The session is safe to use from any task: its state lives in a `Mutex`.
public final class StreamingSession: Sendable {
    /// The runner that answers every message.
    public let runner: AgentRunner
    /// The most messages the history keeps after each turn, or `nil` to keep them all.
    public let historyLimit: Int?
    private let state: Mutex<State>

    struct State {
        var history: [ChatMessage]
        var agent: Agent
        var turnCount: Int
        /// The number of the answer being iterated, if one is.
        var answering: UInt64?
        var answersStarted: UInt64 = 0
    }

    /// A session whose next message goes to `agent`.
    ///
    /// - Parameters:
    ///   - history: the conversation so far (user, assistant and tool messages; the
    ///     agent's instructions are added to every request and do not belong here).
    ///     It is trimmed to `historyLimit` at once.
    ///   - historyLimit: the most messages to keep, or `nil` for no limit; must not be negative.
    public convenience init(runner: AgentRunner, agent: Agent, history: [ChatMessage] = [], historyLimit: Int? = nil) {
        self.init(runner: runner, agent: agent, history: history, historyLimit: historyLimit, turnCount: 0)
    }

    init(runner: AgentRunner, agent: Agent, history: [ChatMessage], historyLimit: Int?, turnCount: Int) {
        precondition((historyLimit ?? 0) >= 0, "historyLimit must not be negative")
        self.runner = runner
        self.historyLimit = historyLimit
        let kept = historyLimit.map { history.trimmed(toLast: $0) } ?? history
        self.state = Mutex(State(history: kept, agent: agent, turnCount: turnCount))
    }

    /// The conversation so far: user, assistant and tool messages, oldest first. It never
    /// holds the agents' instructions, and never a turn that is still being answered.
    public var history: [ChatMessage] { state.withLock { $0.history } }

    /// The agent that answers the next message: the one the session started with, or the
    /// agent that gave the last answer after a handoff.
    public var agent: Agent { state.withLock { $0.agent } }

    /// How many turns have completed (each ``send(_:)`` that reached its `complete` event).
    public var turnCount: Int { state.withLock { $0.turnCount } }

    /// Whether a reply is being answered now.
    public var isAnswering: Bool { state.withLock { $0.answering != nil } }

    /// The streamed answer to `message`, as the history stands when the iteration starts.
    ///
    /// Nothing is sent until the reply is iterated, and a reply may be iterated once. Its
    /// `complete` event comes after the session has appended the turn to its history.
    public func send(_ message: String) -> SessionReply {
        SessionReply(session: self, message: message)
    }

    /// Sends `message`, waits for the whole answer and returns it; the turn is in the
    /// history when this returns.
    @discardableResult
    public func respond(to message: String) async throws -> RunResult {
        for try await event in send(message) {
            if case .complete(let result) = event.kind { return result }
        }
        // A reply ends only after `complete` or by throwing.
        throw StreamingError.cancelled
    }

    /// An independent copy: the same runner, agent, history, limit and turn count. Later
    /// messages to either session do not change the other. A turn in flight is not copied.
    public func fork() -> StreamingSession {
        let copy = state.withLock { $0 }
        return StreamingSession(
            runner: runner,
            agent: copy.agent,
            history: copy.history,
            historyLimit: historyLimit,
            turnCount: copy.turnCount
        )
    }

    /// The session's state now (history, agent and turn count), to go back to with ``restore(_:)``.
    public func checkpoint() -> SessionCheckpoint {
        state.withLock { SessionCheckpoint(history: $0.history, agent: $0.agent, turnCount: $0.turnCount) }
    }

    /// Puts the session back to `checkpoint`; its history is trimmed to this session's limit.
    ///
    /// - Throws: ``StreamingError/invalidInput(_:)`` while a reply is being answered.
    public func restore(_ checkpoint: SessionCheckpoint) throws {
        let kept = historyLimit.map { checkpoint.history.trimmed(toLast: $0) } ?? checkpoint.history
        try state.withLock { state in
            guard state.answering == nil else {
                throw StreamingError.invalidInput("the session is already answering a message; restore it afterwards")
            }
            state.history = kept
            state.agent = checkpoint.agent
            state.turnCount = checkpoint.turnCount
        }
    }
}

// MARK: - One answer at a time

extension StreamingSession {
    /// What a reply needs to start its run.
    struct AnswerStart {
        var lease: AnswerLease
        var history: [ChatMessage]
        var agent: Agent
    }

    /// Takes the session's answer slot, or throws when another reply holds it.
    func beginAnswer() throws -> AnswerStart {
        let (number, history, agent) = try state.withLock { state in
            guard state.answering == nil else {
                throw StreamingError.invalidInput(
                    "the session is already answering a message; wait for its complete event before sending another"
                )
            }
            state.answersStarted += 1
            state.answering = state.answersStarted
            return (state.answersStarted, state.history, state.agent)
        }
        return AnswerStart(lease: AnswerLease(session: self, number: number), history: history, agent: agent)
    }

    /// Ends answer `number` with its result: the history becomes the run's conversation
    /// (trimmed to the limit) and the agent the one that answered, in one step.
    func commit(_ result: RunResult, answer number: UInt64) {
        let kept = historyLimit.map { result.messages.trimmed(toLast: $0) } ?? result.messages
        state.withLock { state in
            guard state.answering == number else { return }
            state.history = kept
            state.agent = result.lastAgent
            state.turnCount += 1
            state.answering = nil
        }
    }

    /// Ends answer `number` without changing the conversation; does nothing once it has ended.
    func endAnswer(_ number: UInt64) {
        state.withLock { state in
            if state.answering == number { state.answering = nil }
        }
    }
}

/// A reply's hold on its session's answer slot. It frees the slot when it goes away, so a
/// consumer that stops iterating early (a `break`, a dropped iterator) frees the session too.
final class AnswerLease: Sendable {
    let session: StreamingSession
    let number: UInt64

    init(session: StreamingSession, number: UInt64) {
        self.session = session
        self.number = number
    }

    func commit(_ result: RunResult) {
        session.commit(result, answer: number)
    }

    func release() {
        session.endAnswer(number)
    }

    deinit {
        session.endAnswer(number)
    }
}
