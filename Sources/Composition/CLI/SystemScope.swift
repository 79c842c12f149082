import ArgumentParser
import RAAFStreaming

/// Configures the system (exit 78, EX_CONFIG, on a bad setting), sets up logging, runs
/// `body`, and shuts the system down whatever happened: a remote model's HTTP client and a
/// queue's connections must be closed on every path.
func withSystem(
    _ configure: (inout StreamingConfiguration) throws -> Void = { _ in },
    _ body: (StreamingSystem) async throws -> Void
) async throws {
    let system: StreamingSystem
    do {
        system = try Streaming.configure(configure)
    } catch {
        Terminal.error("\(error)")
        throw ExitCode(78)
    }
    StreamingLogging.bootstrap(system.configuration.logging, redactor: system.redactor)
    let outcome: Result<Void, any Error>
    do {
        try await body(system)
        outcome = .success(())
    } catch {
        outcome = .failure(error)
    }
    try? await system.shutdown()
    try outcome.get()
}
