import ArgumentParser
import RAAFStreaming

/// `--queue`, shared by every jobs command.
struct QueueOptions: ParsableArguments {
    @Option(help: "The job queue: memory, sqlite:PATH or redis://[:password@]host:port[/db]. Default: REDIS_URL when set, else sqlite:raaf-jobs.sqlite.")
    var queue: String?

    /// The configured system and its job queue, or the exit code for what went wrong.
    func open() async throws -> (StreamingSystem, any JobQueue) {
        let system: StreamingSystem
        do {
            system = try Streaming.configure()
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(78)  // EX_CONFIG
        }
        StreamingLogging.bootstrap(system.configuration.logging, redactor: system.redactor)
        do {
            let location = try queue.map(JobQueueLocation.init(parsing:))
            return (system, try system.makeJobQueue(location))
        } catch {
            Terminal.error("\(error)")
            try? await system.shutdown()
            // 64 (EX_USAGE) for a malformed --queue, 69 (EX_UNAVAILABLE) for a store that cannot be opened.
            if case StreamingError.invalidInput = error { throw ExitCode(64) }
            throw ExitCode(69)
        }
    }
}

/// Runs `body`, then closes the queue and the system whatever happened.
func withQueue(_ options: QueueOptions, _ body: (StreamingSystem, any JobQueue) async throws -> Void) async throws {
    let (system, queue) = try await options.open()
    let outcome: Result<Void, any Error>
    do {
        try await body(system, queue)
        outcome = .success(())
    } catch {
        outcome = .failure(error)
    }
    try? await queue.shutdown()
    try? await system.shutdown()
    if case .failure(let error) = outcome {
        if error is ExitCode { throw error }
        Terminal.error("\(error)")
        throw ExitCode.failure
    }
}
