import Logging
import StreamingApplication
import StreamingDomain
import StreamingMemory

/// A configured system: the settings, and the parts wired from them.
///
/// It is immutable; configure a new one to change a setting.
public struct StreamingSystem: Sendable {
    public let configuration: StreamingConfiguration
    /// The model every runner of this system talks to.
    public let provider: any ModelProvider
    /// The system's event bus; runners publish `agent.*` events on it.
    public let eventBus: EventBus
    /// Masks the configured secrets in every log line of this system.
    public let redactor: SecretRedactor

    init(configuration: StreamingConfiguration, provider: (any ModelProvider)?) {
        self.configuration = configuration
        self.redactor = SecretRedactor(configuration: configuration)
        let events = configuration.events
        let handlerFactory = StreamingLogging.makeHandlerFactory(configuration.logging, redactor: redactor)
        self.eventBus = EventBus(
            options: EventBusOptions(
                maxListeners: events.maxListeners,
                enableWildcards: events.enableWildcards,
                historySize: events.historySize
            ),
            logger: Logger(label: LogLabel.events, factory: handlerFactory)
        )
        self.provider = provider ?? Self.offlineProvider(configuration.provider)
        self.handlerFactory = handlerFactory
    }

    private let handlerFactory: @Sendable (String) -> any LogHandler

    /// A logger for a component label (``LogLabel``), with this system's level, format and redaction.
    public func logger(_ label: String) -> Logger {
        Logger(label: label, factory: handlerFactory)
    }

    /// The agent runner: this system's provider, turn limit, default model and event bus.
    public var runner: AgentRunner {
        AgentRunner(
            provider: provider,
            maxTurns: configuration.streaming.maxTurns,
            defaultModel: configuration.provider.model,
            eventBus: eventBus,
            logger: logger(LogLabel.streaming)
        )
    }

    /// The processing between a run and a transport: re-chunking to `streaming.chunkSize`
    /// characters, then pacing by `streaming.chunkDelay` when it is above zero.
    public func pipeline(clock: any Clock<Duration> = ContinuousClock()) -> StreamPipeline {
        var pipeline = StreamPipeline().rechunked(size: configuration.streaming.chunkSize)
        if configuration.streaming.chunkDelay > .zero {
            pipeline = pipeline.paced(by: configuration.streaming.chunkDelay, clock: clock)
        }
        return pipeline
    }

    /// The built-in demo agents by name (`assistant`, `support`).
    public var agents: [String: Agent] { DemoAgents.all }

    /// The offline model, slowed by `provider.simulationDelay` when that is above zero.
    static func offlineProvider(_ settings: ProviderSettings) -> any ModelProvider {
        let offline = ScriptedModelProvider()
        guard settings.simulationDelay > .zero else { return offline }
        return SimulatedProvider(base: offline, delay: settings.simulationDelay)
    }
}
