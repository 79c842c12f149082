import ArgumentParser
import Foundation
import RAAFStreaming

/// `raaf-streaming jobs`: looks into the queue.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Inspect the job queue.",
        subcommands: [Stats.self, Dead.self]
    )

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Counts per priority and state.")

        @OptionGroup var queueOptions: QueueOptions

        @Flag(help: "Print one JSON object.")
        var json = false

        func run() async throws {
            try await withQueue(queueOptions) { _, queue in
                let stats = try await queue.stats(now: Date())
                let fields: [(String, String)] = [
                    ("high_priority_queue", "\(stats.waiting[.high, default: 0])"),
                    ("normal_priority_queue", "\(stats.waiting[.normal, default: 0])"),
                    ("low_priority_queue", "\(stats.waiting[.low, default: 0])"),
                    ("scheduled_jobs", "\(stats.scheduled)"),
                    ("processing", "\(stats.processing)"),
                    ("failed_jobs", "\(stats.dead)"),
                    ("completed_jobs", "\(stats.completed)"),
                    ("oldest_waiting_seconds", String(format: "%.3f", stats.oldestWaitingAge)),
                ]
                if json {
                    Terminal.write("{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}\n")
                } else {
                    for (name, value) in fields { Terminal.write(name.padding(toLength: 24, withPad: " ", startingAt: 0) + value + "\n") }
                }
            }
        }
    }

    struct Dead: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead jobs, or requeue them.")

        @OptionGroup var queueOptions: QueueOptions

        @Flag(help: "Make every dead job (or those given with --id) ready again, attempts reset.")
        var requeue = false

        @Option(name: .customLong("id"), help: "A dead job to requeue (repeatable); with --requeue.")
        var ids: [String] = []

        @Option(help: "The most dead jobs to list.")
        var limit = 100

        @Flag(help: "Print one JSON object per job per line.")
        var json = false

        func run() async throws {
            try await withQueue(queueOptions) { _, queue in
                if requeue {
                    let count = try await queue.requeueDead(ids.isEmpty ? nil : ids.map(JobID.init(rawValue:)), now: Date())
                    Terminal.write("requeued \(count) job\(count == 1 ? "" : "s")\n")
                    return
                }
                for job in try await queue.deadJobs(limit: limit) {
                    if json {
                        var writer = JSONWriter()
                        writer.beginObject()
                        writer.field("id", job.id.rawValue)
                        writer.field("name", job.name)
                        writer.field("attempts", job.attempts)
                        writer.field("last_error", job.lastError ?? "")
                        writer.endObject()
                        Terminal.write(writer.output + "\n")
                    } else {
                        Terminal.write("\(job.id)  \(job.name)  attempts \(job.attempts)  \(job.lastError ?? "")\n")
                    }
                }
            }
        }
    }
}
