#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StreamingDomain

/// What is POSTed to a message's `callback_url` when its job ends.
///
/// ```json
/// {"id":"<job id>","status":"completed","agent":"assistant","final_output":"...",
///  "usage":{"prompt_tokens":12,"completion_tokens":40,"total_tokens":52},"attempts":1}
/// {"id":"<job id>","status":"failed","agent":"assistant","error":"...","attempts":4}
/// ```
public struct CallbackResult: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable, Hashable {
        case completed
        case failed
    }

    /// The id of the job (the message) the result is for.
    public var id: String
    public var status: Status
    /// The agent that gave the final answer, or the one asked for when the job failed.
    public var agent: String
    public var finalOutput: String?
    public var usage: Usage?
    public var error: String?
    /// The attempts the job took.
    public var attempts: Int
    /// The message's metadata, as it was enqueued.
    public var metadata: [String: String]?

    public init(
        id: String, status: Status, agent: String, finalOutput: String? = nil, usage: Usage? = nil,
        error: String? = nil, attempts: Int, metadata: [String: String]? = nil
    ) {
        self.id = id
        self.status = status
        self.agent = agent
        self.finalOutput = finalOutput
        self.usage = usage
        self.error = error
        self.attempts = attempts
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey {
        case id, status, agent, usage, error, attempts, metadata
        case finalOutput = "final_output"
    }
}

/// The payload of a `callback` job: one POST of a result to a URL, retried by the job queue
/// with capped backoff until its attempts are used up, then dead with the last reason.
public struct CallbackDelivery: Codable, Sendable, Hashable {
    public var url: String
    /// The JSON body, as it will be sent (and signed).
    public var body: String
    /// The job whose result this is.
    public var jobID: String

    enum CodingKeys: String, CodingKey {
        case url, body
        case jobID = "job_id"
    }
}

/// Callback delivery over a ``JobQueue``: a job that ends with a `callback_url` enqueues a
/// `callback` job, so a slow or failing receiver occupies no worker between attempts and
/// never holds up other jobs.
public enum Callbacks {
    /// The name of the job that POSTs a result.
    public static let jobName = "callback"
    /// Attempts a callback gets by default before it is dead.
    public static let defaultAttempts = 5

    /// Checks that `url` is an absolute `http` or `https` URL with a host.
    ///
    /// - Throws: ``StreamingError/invalidInput(_:)`` saying what is wrong.
    public static func validate(_ url: String) throws {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
            scheme == "http" || scheme == "https"
        else {
            throw StreamingError.invalidInput("a callback_url must be an http or https URL, got \"\(url)\"")
        }
        guard let host = parsed.host, !host.isEmpty else {
            throw StreamingError.invalidInput("a callback_url needs a host, got \"\(url)\"")
        }
    }

    /// Enqueues the POST of `result` to `url` on `queue`. The idempotency key makes a job
    /// that runs twice (at-least-once) send one callback per outcome.
    public static func enqueue(
        _ result: CallbackResult, to url: String, on queue: any JobQueue, maxAttempts: Int = defaultAttempts,
        now: Date
    ) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = String(decoding: try encoder.encode(result), as: UTF8.self)
        let delivery = CallbackDelivery(url: url, body: body, jobID: result.id)
        let job = try NewJob(
            name: jobName, json: delivery, idempotencyKey: "callback:\(result.id):\(result.status.rawValue)",
            maxAttempts: maxAttempts)
        _ = try await queue.enqueue([job], now: now)
    }

    /// Whether the attempt that threw `error` is the job's last: a permanent error
    /// (``BackgroundProcessor/isPermanent(_:)``) is never retried, others until the attempts
    /// are used up.
    public static func isLastAttempt(_ context: JobContext, error: any Error) -> Bool {
        BackgroundProcessor.isPermanent(error) || context.attempt >= context.job.maxAttempts
    }
}

extension BackgroundProcessor {
    /// Registers the `callback` job, which POSTs a result with `sender`. A failed POST is
    /// retried with this processor's backoff (capped); a URL that may never be posted to
    /// is dead at once; after the last attempt the job is dead with the last reason
    /// (`raaf-streaming jobs dead` lists it).
    public func registerCallbackJob(sender: any CallbackSender) {
        register(Callbacks.jobName, payload: CallbackDelivery.self) { delivery, context in
            try await sender.post(Array(delivery.body.utf8), to: delivery.url, deliveryID: "\(context.job.id)")
        }
    }
}
