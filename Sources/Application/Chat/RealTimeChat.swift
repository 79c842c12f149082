import Logging
import StreamingDomain
import Synchronization

/// The in-process chat of the Ruby guide's `RealTimeChat`: talk to agents without a server.
///
/// It runs on ``ChatService`` (one code path with the WebSocket chat rooms): a room of its
/// own with the agent in it, and the program as its one member, connected through an
/// in-process connection instead of a socket.
///
/// ```swift
/// let chat = RealTimeChat(runner: system.runner, agent: assistant, agents: [support],
///                         options: .init(responseDelay: .milliseconds(50), maxMessageLength: 2000))
/// try await chat.withRunning { chat in
///     for try await event in try chat.sendMessage("What's the weather in Paris?") {
///         if case .content(let text, _) = event { print(text, terminator: "") }
///     }
///     try chat.addAgent("support")                 // may answer and take over now
///     let history = try await chat.history()
/// }
/// ```
public final class RealTimeChat: Sendable {
    /// The settings of the guide's `RealTimeChat`.
    public struct Options: Sendable, Hashable {
        /// Whether ``Event/typingStart(agent:)`` and ``Event/typingStop(agent:)`` are reported
        /// (`enable_typing_indicators`).
        public var enableTypingIndicators: Bool
        /// The pause between two content events handed to the caller (`response_delay`);
        /// zero hands them on as they come.
        public var responseDelay: Duration
        /// The longest message ``sendMessage(_:)`` takes, in characters (`max_message_length`).
        public var maxMessageLength: Int
        /// The name the caller speaks under.
        public var user: String

        public init(
            enableTypingIndicators: Bool = true, responseDelay: Duration = .zero, maxMessageLength: Int = 2000,
            user: String = "user"
        ) {
            self.enableTypingIndicators = enableTypingIndicators
            self.responseDelay = responseDelay
            self.maxMessageLength = maxMessageLength
            self.user = user
        }
    }

    /// What ``sendMessage(_:)`` reports while the agent answers.
    public enum Event: Sendable, Hashable {
        /// The agent started answering.
        case typingStart(agent: String)
        /// A piece of the answer.
        case content(String, agent: String)
        /// The agent called a tool.
        case toolCall(name: String, arguments: String, agent: String)
        /// A tool's result.
        case toolOutput(name: String, output: String, agent: String)
        /// Another agent took over.
        case handoff(from: String?, to: String, reason: String?)
        /// The agent finished answering.
        case typingStop(agent: String)
    }

    /// One message of the conversation, as ``history(limit:)`` gives it.
    public struct Entry: Sendable, Hashable {
        public var seq: Int
        /// `user`, `agent` or `system`.
        public var sender: String
        /// The user's or the agent's name.
        public var author: String
        public var content: String
    }

    public let options: Options
    /// The room the conversation is kept in.
    public let room = "chat"
    let hub: ConnectionHub
    let chat: ChatService
    let inbox: InProcessSink
    let connection: Connection
    /// One request at a time (a message and its answer, `add_agent`, `get_history`): the
    /// chat's connection has one reader, and an answer's frames must not go to another call.
    let turn = Mutex(false)

    /// Takes ``turn``, or throws ``StreamingError/invalidInput(_:)`` while another call has it.
    func takeTurn() throws {
        let busy = turn.withLock { busy in
            defer { busy = true }
            return busy
        }
        guard !busy else {
            throw StreamingError.invalidInput("the chat is still busy with the last call (an answer streaming): one at a time")
        }
    }

    func endTurn() { turn.withLock { $0 = false } }

    /// - Parameters:
    ///   - agent: The agent that answers.
    ///   - agents: Other agents ``addAgent(_:)`` may bring in, and handoff targets.
    ///   - store: Where the conversation is kept (an `InMemoryChatStore`, a `SQLiteChatStore`).
    /// - Throws: ``StreamingError/invalidInput(_:)`` for options out of range.
    public init(
        runner: AgentRunner, agent: Agent, agents: [Agent] = [], store: any ChatStore, options: Options = Options(),
        logger: Logger = Logger(label: LogLabel.chat)
    ) throws {
        guard options.maxMessageLength > 0, options.responseDelay >= .zero else {
            throw StreamingError.invalidInput("maxMessageLength must be positive and responseDelay not negative")
        }
        self.options = options
        var named = [agent.name: agent]
        for other in agents { named[other.name] = other }
        let byName = named
        hub = ConnectionHub(
            options: ConnectionHubOptions(
                maxMessageSize: max(1 << 20, options.maxMessageLength * 4 + 1024), messagesPerMinute: 1_000_000),
            streams: AgentStreamService(runner: runner, agents: { byName[$0] }, logger: logger),
            logger: logger)
        chat = ChatService(
            hub: hub, runner: runner, store: store, agents: byName,
            options: ChatOptions(
                enableTypingIndicators: options.enableTypingIndicators,
                maxMessageLength: options.maxMessageLength,
                messagesPerMinute: 1_000_000),
            logger: logger)
        inbox = InProcessSink()
        guard let connection = hub.connect(inbox) else {
            throw StreamingError.connection("the in-process chat could not connect")
        }
        self.connection = connection
        try request(["type": "create_room", "room": .string(room), "agent": .string(agent.name), "user": .string(options.user)])
        try request(["type": "join_room", "room": .string(room), "user": .string(options.user)])
    }

    /// Runs the chat (its answers and typing expiry) until ``shutdown()``.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.hub.run() }
            group.addTask { await self.chat.run() }
        }
    }

    /// Stops ``run()``: an answer in progress is stopped.
    public func shutdown() {
        chat.shutdown()
        hub.shutdown()
        inbox.finish()
    }

    /// Runs the chat for `body`, then shuts it down. `body` runs in the caller's isolation.
    public func withRunning<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (RealTimeChat) async throws -> Result
    ) async throws -> Result {
        async let running: Void = run()
        do {
            let result = try await body(self)
            shutdown()
            await running
            return result
        } catch {
            shutdown()
            await running
            throw error
        }
    }

    /// Sends a client message through the hub, as a socket would.
    func request(_ fields: [String: JSONValue]) throws {
        hub.receive(text: JSONValue.object(fields).jsonString, from: connection)
    }
}
