#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import StreamingDomain
import Tracing

/// Which agent a queued message is for: a name, and optionally its instructions and model.
public struct AgentConfiguration: Codable, Sendable, Hashable {
    public var name: String
    public var instructions: String?
    public var model: String?

    public init(name: String, instructions: String? = nil, model: String? = nil) {
        self.name = name
        self.instructions = instructions
        self.model = model
    }
}

/// A message waiting for an agent.
public struct QueuedMessage: Codable, Sendable, Hashable {
    public var content: String
    public var agent: AgentConfiguration
    /// Where to send the answer, for a caller that is not waiting.
    public var callbackURL: String?
    public var metadata: [String: String]
    /// The trace context of the request that enqueued it (``JobTraceContext``).
    public var traceContext: [String: String]?

    public init(
        content: String, agent: AgentConfiguration, callbackURL: String? = nil, metadata: [String: String] = [:],
        traceContext: [String: String]? = nil
    ) {
        self.content = content
        self.agent = agent
        self.callbackURL = callbackURL
        self.metadata = metadata
        self.traceContext = traceContext
    }

    enum CodingKeys: String, CodingKey {
        case content, agent, metadata
        case callbackURL = "callback_url"
        case traceContext = "trace_context"
    }
}

/// A message handed to a batch handler.
public struct ReceivedMessage: Sendable, Hashable {
    public var id: JobID
    public var message: QueuedMessage
    /// 1 the first time the message is handed out, more after a requeue.
    public var attempt: Int
    let lease: JobLease
}

/// The messages of one batch and what the handler decided for each. A message the
/// handler neither acknowledges nor rejects goes back to the queue as it was.
public struct MessageBatch: Sendable {
    public let messages: [ReceivedMessage]
    var acknowledged: [JobID: String?] = [:]
    var rejected: [JobID: (reason: String, requeue: Bool)] = [:]

    init(messages: [ReceivedMessage]) {
        self.messages = messages
    }

    /// The message is done; `result` is kept with it for a while.
    public mutating func acknowledge(_ id: JobID, result: String? = nil) {
        rejected[id] = nil
        acknowledged[id] = result
    }

    /// The message failed: with `requeue` it is tried again later (until its attempts are
    /// used up), without it goes straight to the dead letters.
    public mutating func reject(_ id: JobID, reason: String, requeue: Bool = true) {
        acknowledged[id] = nil
        rejected[id] = (reason, requeue)
    }
}

/// A queue of messages for agents (the Ruby gem's `MessageQueue`): enqueue a message for
/// an agent, with an optional `callback_url`, and ``process(_:)`` them until shut down.
///
/// ```swift
/// let messages = MessageQueue(queue: try SQLiteJobQueue(path: "app.sqlite", queue: "agent_messages"),
///                             callbacks: HTTPCallbackSender(configuration: .init(secret: secret)))
/// try await messages.enqueue(message: "Summarise this", agentConfig: AgentConfiguration(name: "assistant"),
///                            callbackURL: "https://myapp.example/webhook")
/// try await messages.process { received in          // until messages.shutdown()
///     MessageAnswer(try await runner.run(agents[received.message.agent.name]!, received.message.content))
/// }
/// ```
/// ``process(_:)`` runs on a ``BackgroundProcessor``: several messages at once, leases of
/// long answers renewed, the messages of a consumer that died delivered again once their
/// lease ends, failures retried with backoff, then dead. When a message with a callback URL
/// ends (answered, or failed for the last time), its ``CallbackResult`` is POSTed by a
/// `callback` job of the same queue (``Callbacks``).
///
/// It owns its ``JobQueue``: give it a queue of its own (a named queue, ``QueueName``).
/// ``processMessages(batchSize:_:)`` hands out one batch at a time instead.
public final class MessageQueue: Sendable {
    public static let jobName = "message"
    public let queue: any JobQueue
    public let lease: Duration
    public let backoff: RetryBackoff
    public let maxAttempts: Int
    /// Delivers callbacks; without one, a message's callback job waits in the queue for a
    /// consumer that has one.
    public let callbacks: (any CallbackSender)?
    /// Attempts a callback gets before it is dead.
    public let callbackAttempts: Int
    /// The tracer of enqueue's context injection and of the consumer's spans; `nil` uses
    /// the bootstrapped one.
    public let tracer: (any Tracer)?
    let now: @Sendable () -> Date
    /// Runs ``process(_:)``; its figures are ``stats()``.
    let processor: BackgroundProcessor

    /// - Parameters:
    ///   - workers: Messages ``process(_:)`` handles at once.
    ///   - callbacks: Sends the results to callback URLs.
    ///   - shutdownGrace: How long ``shutdown()`` waits for answers in progress.
    public init(
        queue: any JobQueue,
        lease: Duration = .seconds(60),
        backoff: RetryBackoff = RetryBackoff(),
        maxAttempts: Int = 4,
        workers: Int = 4,
        callbacks: (any CallbackSender)? = nil,
        callbackAttempts: Int = Callbacks.defaultAttempts,
        shutdownGrace: Duration = .seconds(30),
        pollInterval: Duration = .milliseconds(100),
        tracer: (any Tracer)? = nil,
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: LogLabel.background)
    ) {
        self.queue = queue
        self.tracer = tracer
        self.lease = lease
        self.backoff = backoff
        self.maxAttempts = maxAttempts
        self.callbacks = callbacks
        self.callbackAttempts = callbackAttempts
        self.now = now
        self.processor = BackgroundProcessor(
            queue: queue,
            options: .init(
                workers: workers, lease: lease, pollInterval: pollInterval, backoff: backoff, maxAttempts: maxAttempts,
                shutdownGrace: shutdownGrace),
            now: now,
            logger: logger
        )
        if let callbacks { processor.registerCallbackJob(sender: callbacks) }
    }

    /// Enqueues a message for `agent`.
    ///
    /// - Throws: ``StreamingError/invalidInput(_:)`` for a callback URL that is not `http` or `https`.
    @discardableResult
    public func enqueue(
        _ content: String,
        agent: AgentConfiguration,
        callbackURL: String? = nil,
        metadata: [String: String] = [:],
        priority: JobPriority = .normal
    ) async throws -> JobID {
        if let callbackURL { try Callbacks.validate(callbackURL) }
        let message = QueuedMessage(
            content: content, agent: agent, callbackURL: callbackURL, metadata: metadata,
            traceContext: JobTraceContext.inject(tracer: tracer))
        let job = try NewJob(name: Self.jobName, json: message, priority: priority, maxAttempts: maxAttempts)
        return try await queue.enqueue([job], now: now())[0]
    }

    /// Hands up to `batchSize` messages to `handler` at once and carries out its decisions.
    /// Returns how many messages were handed out (0 when none waited).
    ///
    /// A stored message that does not decode is dead-lettered and not handed out. When the
    /// handler throws, its undecided messages go back to the queue and the error is rethrown.
    @discardableResult
    public func processMessages(
        batchSize: Int,
        _ handler: (inout MessageBatch) async throws -> Void
    ) async throws -> Int {
        guard batchSize > 0 else { throw StreamingError.invalidInput("batchSize must be at least 1") }
        let claimed = try await queue.claim(limit: batchSize, lease: lease, now: now())
        var received: [ReceivedMessage] = []
        for job in claimed {
            do {
                let message = try JSONDecoder().decode(QueuedMessage.self, from: Data(job.job.payload))
                received.append(ReceivedMessage(id: job.job.id, message: message, attempt: job.job.attempts, lease: job.lease))
            } catch {
                _ = try await queue.fail(job.lease, error: "the message does not decode: \(error)", retryAt: nil, now: now())
            }
        }
        guard !received.isEmpty else { return 0 }
        var batch = MessageBatch(messages: received)
        do {
            try await handler(&batch)
        } catch {
            try await settle(batch)
            throw error
        }
        try await settle(batch)
        return received.count
    }

    private func settle(_ batch: MessageBatch) async throws {
        let wallNow = now()
        var completions: [JobCompletion] = []
        var undecided: [JobLease] = []
        for message in batch.messages {
            if let result = batch.acknowledged[message.id] {
                completions.append(JobCompletion(lease: message.lease, result: result.map { Array($0.utf8) }))
            } else if let rejection = batch.rejected[message.id] {
                let retryAt =
                    rejection.requeue
                    ? wallNow.addingTimeInterval(backoff.delay(beforeRetry: message.attempt).timeInterval) : nil
                _ = try await queue.fail(message.lease, error: rejection.reason, retryAt: retryAt, now: wallNow)
            } else {
                undecided.append(message.lease)
            }
        }
        if !completions.isEmpty { _ = try await queue.complete(completions, now: wallNow) }
        if !undecided.isEmpty { _ = try await queue.release(undecided, now: wallNow) }
    }
}
