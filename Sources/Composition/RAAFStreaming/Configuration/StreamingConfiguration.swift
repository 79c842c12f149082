import StreamingDomain

/// Every setting of the framework, grouped as in the Ruby gem's `config.websocket`,
/// `config.streaming`, `config.async`, and so on.
///
/// Values come from three places, each overriding the one before: the defaults below,
/// environment variables (``applyingEnvironment(_:)``), then code:
///
/// ```swift
/// var config = try StreamingConfiguration().applyingEnvironment(ProcessInfo.processInfo.environment)
/// config.websocket.port = 9000
/// config.async.poolSize = 8
/// try config.validate()
/// ```
///
/// The configuration's description masks secrets: the API key prints as `[redacted]` and so
/// does a password inside the Redis URL.
public struct StreamingConfiguration: Sendable, Equatable {
    /// WebSocket server settings (`websocket.*`).
    public var websocket: WebSocketSettings
    /// Agent stream settings (`streaming.*`).
    public var streaming: StreamingSettings
    /// Async task runner settings (`async.*`).
    public var async: AsyncSettings
    /// Background job settings (`background.*`).
    public var background: BackgroundSettings
    /// Event bus settings (`events.*`).
    public var events: EventSettings
    /// Chat room settings (`chat.*`).
    public var chat: ChatSettings
    /// Model provider settings (`provider.*`).
    public var provider: ProviderSettings
    /// Logging settings (`logging.*`).
    public var logging: LoggingSettings
    /// Process settings of `serve` and `worker` (`server.*`): the shutdown grace.
    public var server: ServerSettings
    /// The agents the system serves, by name: on WebSocket `agent_stream`, SSE, in chat rooms
    /// and in the `agent` job. Their handoffs resolve among these agents by name, and
    /// ``validate()`` refuses a handoff to an agent that is not here. Empty (the default)
    /// serves the demo agents (``DemoAgents``).
    ///
    /// ```swift
    /// let system = try Streaming.configure { config in
    ///     config.agents = [triage, billing]
    /// }
    /// ```
    public var agents: [Agent]

    /// Creates a configuration holding every default.
    public init() {
        websocket = WebSocketSettings()
        streaming = StreamingSettings()
        async = AsyncSettings()
        background = BackgroundSettings()
        events = EventSettings()
        chat = ChatSettings()
        provider = ProviderSettings()
        logging = LoggingSettings()
        server = ServerSettings()
        agents = []
    }
}

extension StreamingConfiguration: CustomStringConvertible, CustomDebugStringConvertible {
    /// Every section, with the API key and the Redis password masked.
    public var description: String {
        "StreamingConfiguration(websocket: \(websocket), streaming: \(streaming), async: \(async), "
            + "background: \(background), events: \(events), chat: \(chat), provider: \(provider), "
            + "logging: \(logging), server: \(server), agents: \(agents.map(\.name)))"
    }

    /// The same text as ``description``: secrets are masked here too.
    public var debugDescription: String { description }
}
