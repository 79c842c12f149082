#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension ProviderSettings {
    /// The pause before each delta of the offline model in what a person watches
    /// (`raaf-streaming chat`, `raaf-streaming serve`, the examples): 30 ms, about 33 tokens a
    /// second, the pace of a real model, so the answer is seen streaming token by token.
    public static let watchedSimulationDelay: Duration = .milliseconds(30)
}

extension StreamingConfiguration {
    /// Paces the model for a person watching, as `raaf-streaming chat` and `serve` do.
    ///
    /// - `RAAF_SIMULATION_DELAY_MS` set in `environment`: its value (`0` streams at once);
    /// - otherwise, on the offline model: ``ProviderSettings/watchedSimulationDelay``;
    /// - otherwise (a remote model, which streams at its own pace): unchanged.
    ///
    /// The library's default stays instant; call this for a program whose output a person reads
    /// as it streams, inside ``Streaming/configure(environment:provider:_:)``'s closure:
    ///
    /// ```swift
    /// let system = try Streaming.configure { try $0.paceForPeople() }
    /// ```
    ///
    /// - Throws: ``StreamingError/configuration(variable:reason:)`` when `RAAF_SIMULATION_DELAY_MS`
    ///   is not an integer from 0 to 60000.
    public mutating func paceForPeople(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        if let delay = try EnvironmentReader(environment: environment).simulationDelay() {
            provider.simulationDelay = delay
        } else if !provider.usesRemoteModel {
            provider.simulationDelay = ProviderSettings.watchedSimulationDelay
        }
    }
}
