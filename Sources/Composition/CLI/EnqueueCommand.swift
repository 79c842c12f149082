import ArgumentParser
import Foundation
import RAAFStreaming

/// `raaf-streaming enqueue NAME JSON`: adds a job and prints its id.
struct EnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Add a job to the queue and print its id.",
        discussion: "Built-in job names: noop, sleep ({\"ms\": N}), fail ({\"times\": N}), agent ({\"agent\": NAME, \"input\": TEXT, \"callback_url\": URL}: the worker POSTs the result to callback_url, signed with RAAF_CALLBACK_SECRET when set)."
    )

    @OptionGroup var queueOptions: QueueOptions

    @Argument(help: "The job name.")
    var name: String

    @Argument(help: "The payload, as JSON.")
    var json: String = "{}"

    @Option(help: "high, normal or low.")
    var priority: String = "normal"

    @Option(help: "Run no earlier than this time (ISO 8601, e.g. 2026-11-21T10:00:00Z).")
    var at: String?

    @Option(help: "An idempotency key: a second enqueue with the same key returns the first job's id.")
    var key: String?

    @Option(help: "Attempts before the job is dead (default: BACKGROUND_RETRY_COUNT + 1).")
    var maxAttempts: Int?

    func validate() throws {
        guard JobPriority(rawValue: priority) != nil else {
            throw ValidationError("--priority must be high, normal or low, not \"\(priority)\"")
        }
        guard (try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])) != nil else {
            throw ValidationError("the payload is not valid JSON: \(json)")
        }
        if let at, Self.date(at) == nil {
            throw ValidationError("--at must be an ISO 8601 time such as 2026-11-21T10:00:00Z, not \"\(at)\"")
        }
        if let maxAttempts, maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
    }

    func run() async throws {
        if name == "agent" {
            // Refused here rather than dead later: a payload the agent job cannot use.
            do {
                let payload = try JSONDecoder().decode(AgentJobPayload.self, from: Data(json.utf8))
                if let url = payload.callbackURL { try Callbacks.validate(url) }
            } catch {
                Terminal.error("the agent job's payload is not usable: \(error)")
                throw ExitCode(64)
            }
        }
        try await withQueue(queueOptions) { system, queue in
            let job = NewJob(
                name: name,
                payload: Array(json.utf8),
                priority: JobPriority(rawValue: priority)!,
                runAt: at.flatMap(Self.date),
                idempotencyKey: key,
                maxAttempts: maxAttempts ?? system.configuration.background.retryCount + 1
            )
            let id = try await queue.enqueue([job], now: Date())[0]
            Terminal.write(id.rawValue + "\n")
        }
    }

    static func date(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
