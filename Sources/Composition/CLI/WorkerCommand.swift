import ArgumentParser
import Dispatch
import Foundation
import RAAFStreaming
import UnixSignals

/// `raaf-streaming worker`: runs background jobs until SIGINT or SIGTERM, then drains.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run background jobs (noop, sleep, fail, agent) until interrupted, then shut down gracefully."
    )

    @OptionGroup var queueOptions: QueueOptions

    @Option(help: "Jobs run at once (default: BACKGROUND_WORKERS, 10).")
    var workers: Int?

    @Option(help: "Seconds a claimed job is leased; a job of a worker that died runs again after this.")
    var lease: Double = 30

    func run() async throws {
        guard lease > 0 else { throw ValidationError("--lease must be above zero") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        try await withQueue(queueOptions) { system, queue in
            let processor = system.backgroundProcessor(
                queue: queue,
                workers: workers,
                lease: .milliseconds(Int64(lease * 1000))
            )
            // Trapped before "worker started", so a signal sent on that line starts the drain.
            let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
            let location = queueOptions.queue.flatMap { try? JobQueueLocation(parsing: $0) } ?? system.defaultJobQueueLocation
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    for await _ in signals { processor.shutdown() }
                }
                defer { tasks.cancelAll() }
                Terminal.note("worker started: \(processor.options.workers) workers on \(location)")
                try await processor.run()
                Terminal.note("worker stopped")
            }
        }
    }
}
