import ArgumentParser
import RAAFStreaming

/// `--queue`, shared by every jobs command.
struct QueueOptions: ParsableArguments {
    @Option(help: "The job queue: memory, sqlite:PATH or redis://[:password@]host:port[/db]. Default: REDIS_URL when set, else sqlite:raaf-jobs.sqlite.")
    var queue: String?

    @Option(help: "The named queue in that backend: 1 to 64 letters, digits or _. Default: BACKGROUND_QUEUE_NAME, else default.")
    var queueName: String?

    /// The queue `--queue` and `--queue-name` name, or the configured default.
    func open(in system: StreamingSystem) throws -> any JobQueue {
        do {
            return try system.makeJobQueue(queue.map(JobQueueLocation.init(parsing:)), queue: queueName)
        } catch {
            Terminal.error("\(error)")
            // 64 (EX_USAGE) for a malformed --queue, 69 (EX_UNAVAILABLE) for a store that cannot be opened.
            if case StreamingError.invalidInput = error { throw ExitCode(64) }
            throw ExitCode(69)
        }
    }
}

/// Runs `body` with the configured system and the queue `options` names, then closes both.
/// An error other than an exit code is printed and ends the command with status 1.
func withQueue(_ options: QueueOptions, _ body: (StreamingSystem, any JobQueue) async throws -> Void) async throws {
    try await withSystem { system in
        let queue = try options.open(in: system)
        do {
            try await body(system, queue)
        } catch let exit as ExitCode {
            try? await queue.shutdown()
            throw exit
        } catch {
            try? await queue.shutdown()
            Terminal.error("\(error)")
            throw ExitCode.failure
        }
        try? await queue.shutdown()
    }
}
