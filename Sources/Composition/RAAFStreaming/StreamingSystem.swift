import Logging
import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingOpenAI

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
        let handlerFactory = StreamingLogging.makeHandlerFactory(configuration.logging, redactor: redactor)
        self.eventBus = EventBus(
            options: configuration.events,
            logger: Logger(label: LogLabel.events, factory: handlerFactory)
        )
        self.handlerFactory = handlerFactory
        self.provider = provider.map { Self.paced($0, configuration.provider) }
            ?? Self.configuredProvider(configuration, logger: Logger(label: LogLabel.streaming, factory: handlerFactory))
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

    /// A bounded pool of background runs with this system's runner, sized by `async.poolSize`
    /// and `async.queueSize`, each run limited to `async.threadTimeout`. Run it with
    /// ``AsyncRunner/run()`` or ``AsyncRunner/withRunning(shutdown:_:)``.
    public func asyncRunner(clock: any Clock<Duration> = ContinuousClock()) -> AsyncRunner {
        AsyncRunner(
            runner: runner,
            poolSize: configuration.async.poolSize,
            queueSize: configuration.async.queueSize,
            timeout: configuration.async.threadTimeout,
            clock: clock,
            logger: logger(LogLabel.async)
        )
    }

    /// Runs `agent` over many inputs, `maxConcurrent` at a time (default `async.poolSize`),
    /// each run limited to `async.threadTimeout`.
    public func batchProcessor(agent: Agent, maxConcurrent: Int? = nil) -> BatchProcessor {
        BatchProcessor(
            runner: runner,
            agent: agent,
            maxConcurrent: maxConcurrent ?? configuration.async.poolSize,
            timeout: configuration.async.threadTimeout
        )
    }

    /// The processing between a run and a transport. It never waits for more text: a delta
    /// goes out as soon as the model yields it, split when longer than `streaming.chunkSize`
    /// characters. When `streaming.coalesceInterval` is above zero, the deltas within that
    /// window are merged (at most `streaming.bufferSize` bytes); when `streaming.chunkDelay`
    /// is above zero, pieces are paced that far apart.
    public func pipeline(clock: any Clock<Duration> = ContinuousClock()) -> StreamPipeline {
        let streaming = configuration.streaming
        var pipeline = StreamPipeline().split(maxSize: streaming.chunkSize)
        if streaming.coalesceInterval > .zero {
            pipeline = pipeline.coalesced(within: streaming.coalesceInterval, maxBytes: streaming.bufferSize, clock: clock)
        }
        if streaming.chunkDelay > .zero {
            pipeline = pipeline.paced(by: streaming.chunkDelay, clock: clock)
        }
        return pipeline
    }

    /// The built-in demo agents by name (`assistant`, `support`).
    public var agents: [String: Agent] { DemoAgents.all }

    /// Releases what the system holds (the model provider's HTTP client). Call it once,
    /// when no run is in progress.
    public func shutdown() async throws {
        try await provider.shutdown()
    }

    /// The OpenAI-compatible provider when `OPENAI_API_KEY` or `OPENAI_BASE_URL` is set,
    /// else the offline model; either slowed by `provider.simulationDelay` when above zero.
    static func configuredProvider(_ configuration: StreamingConfiguration, logger: Logger) -> any ModelProvider {
        let settings = configuration.provider
        let base: any ModelProvider
        if settings.usesRemoteModel {
            base = OpenAIProvider(
                configuration: OpenAIProvider.Configuration(
                    baseURL: settings.resolvedBaseURL,
                    apiKey: settings.apiKey,
                    idleTimeout: configuration.streaming.timeout,
                    connectTimeout: settings.connectTimeout,
                    maxConnections: settings.maxConnections,
                    queueTimeout: settings.queueTimeout,
                    maxStreamsPerConnection: settings.maxStreamsPerConnection,
                    caFile: settings.caFile
                ),
                logger: logger
            )
        } else {
            base = ScriptedModelProvider()
        }
        return paced(base, settings)
    }

    /// `provider` slowed by `provider.simulationDelay` before each delta, when it is above zero.
    static func paced(_ provider: any ModelProvider, _ settings: ProviderSettings) -> any ModelProvider {
        guard settings.simulationDelay > .zero else { return provider }
        return SimulatedProvider(base: provider, delay: settings.simulationDelay)
    }
}
