import Logging
import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingOpenAI

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The entry point: configure once, get a wired, immutable ``StreamingSystem``.
///
/// ```swift
/// let system = try Streaming.configure { config in
///     config.streaming.chunkSize = 256
///     config.events.historySize = 100
/// }
/// let result = try await system.runner.run(DemoAgents.assistant, "What's the weather in Paris?")
/// ```
/// Values come from the defaults, then the environment (`WEBSOCKET_PORT`, `OPENAI_API_KEY`, …),
/// then the closure: code overrides the environment. An invalid value throws
/// ``StreamingError/configuration(variable:reason:)`` naming the variable or setting.
///
/// The model is the configured one (``ProviderSettings``) unless `provider` is passed; either is
/// slowed by `provider.simulationDelay` (`RAAF_SIMULATION_DELAY_MS`, zero by default). A
/// program a person watches calls ``StreamingConfiguration/paceForPeople(environment:)`` in the
/// closure, as `raaf-streaming chat` and `serve` do.
public enum Streaming {
    public static func configure(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        provider: (any ModelProvider)? = nil,
        _ configure: (inout StreamingConfiguration) throws -> Void = { _ in }
    ) throws -> StreamingSystem {
        var configuration = try StreamingConfiguration().applyingEnvironment(environment)
        try configure(&configuration)
        try configuration.validate()
        if provider == nil, configuration.provider.usesRemoteModel, let caFile = configuration.provider.caFile {
            try OpenAIProvider.checkCAFile(caFile)
        }
        return StreamingSystem(configuration: configuration, provider: provider)
    }
}
