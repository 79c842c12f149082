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
    /// Times an attempt tries to enqueue its callback, with the processor's backoff between
    /// tries, before the attempt fails with ``CallbackEnqueueFailure``.
    public static let enqueueTries = 3

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

    /// Runs one attempt of a job whose result goes to `url`, and enqueues its
    /// ``CallbackResult`` through `outbox`: `completed` with `answer(value)` when `body`
    /// returns, `failed` with the error when `body` throws on the job's last attempt
    /// (``isLastAttempt(_:error:)``). Without a `url`, just `body`.
    ///
    /// The attempt succeeds only once its callback is enqueued. A failed enqueue is tried
    /// again in place (``enqueueTries`` in all, the processor's backoff
    /// between them), so a queue's brief outage does not run the work again. When every try
    /// fails, the attempt fails with ``CallbackEnqueueFailure``, never with a `failed`
    /// callback for an answer that was given: the job is retried like any failure (its work
    /// runs again; the callback's idempotency key keeps it to one POST per outcome), and
    /// after its last attempt it is dead with that reason (`raaf-streaming jobs dead`).
    ///
    /// - Throws: ``StreamingError/invalidInput(_:)`` for a `url` that may not be posted to
    ///   (``validate(_:)``), before `body` runs; what `body` throws; ``CallbackEnqueueFailure``.
    static func reporting<Value>(
        to url: String?, context: JobContext, agent: String, metadata: [String: String]? = nil,
        through outbox: CallbackOutbox, answer: (Value) -> MessageAnswer,
        _ body: () async throws -> Value
    ) async throws -> Value {
        guard let url else { return try await body() }
        try validate(url)
        let id = "\(context.job.id)"
        let value: Value
        do {
            value = try await body()
        } catch {
            guard !Task.isCancelled, isLastAttempt(context, error: error) else { throw error }
            let report = CallbackResult(
                id: id, status: .failed, agent: agent, error: "\(error)", attempts: context.attempt, metadata: metadata)
            do {
                try await outbox.enqueue(report, to: url)
            } catch let enqueueError {
                throw CallbackEnqueueFailure(outcome: .failed, jobError: "\(error)", reason: "\(enqueueError)")
            }
            throw error
        }
        let answered = answer(value)
        let report = CallbackResult(
            id: id, status: .completed, agent: answered.agent ?? agent, finalOutput: answered.finalOutput,
            usage: answered.usage, attempts: context.attempt, metadata: metadata)
        do {
            try await outbox.enqueue(report, to: url)
        } catch {
            throw CallbackEnqueueFailure(outcome: .completed, jobError: nil, reason: "\(error)")
        }
        return value
    }
}

/// Where the callbacks of a processor's jobs go, and how a failed enqueue is tried again.
struct CallbackOutbox: Sendable {
    let queue: any JobQueue
    /// Attempts each callback job gets.
    let attempts: Int
    let backoff: RetryBackoff
    let clock: any Clock<Duration>
    let now: @Sendable () -> Date

    /// Enqueues the POST of `result` to `url`, trying ``Callbacks/enqueueTries`` times with backoff.
    func enqueue(_ result: CallbackResult, to url: String) async throws {
        var tries = 1
        while true {
            do {
                return try await Callbacks.enqueue(result, to: url, on: queue, maxAttempts: attempts, now: now())
            } catch {
                guard tries < Callbacks.enqueueTries, !Task.isCancelled else { throw error }
                try await clock.sleep(for: backoff.delay(beforeRetry: tries))
                tries += 1
            }
        }
    }
}

extension BackgroundProcessor {
    /// Callbacks on this processor's queue, each with `attempts`, a failed enqueue tried
    /// again with this processor's backoff.
    func callbackOutbox(attempts: Int) -> CallbackOutbox {
        CallbackOutbox(queue: queue, attempts: attempts, backoff: options.backoff, clock: clock, now: now)
    }
}

/// An attempt whose callback could not be enqueued: the job is retried like any failure and,
/// after its last attempt, dead with this as its reason. A job that answered is never
/// reported as `failed` because of it.
public struct CallbackEnqueueFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The callback that was not enqueued: `completed` (the job answered) or `failed`.
    public var outcome: CallbackResult.Status
    /// The job's own error, for a `failed` callback.
    public var jobError: String?
    /// Why the enqueue failed.
    public var reason: String

    public var description: String {
        switch outcome {
        case .completed: "the job answered, but its completed callback could not be enqueued: \(reason)"
        case .failed: "\(jobError ?? "the job failed"); and its failed callback could not be enqueued: \(reason)"
        }
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
