#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StreamingDomain

/// What a ``MessageQueue/process(_:)`` handler answers a message with.
public struct MessageAnswer: Sendable, Hashable {
    public var finalOutput: String
    /// The agent that answered (after any handoffs); the message's agent when `nil`.
    public var agent: String?
    public var usage: Usage?

    public init(finalOutput: String, agent: String? = nil, usage: Usage? = nil) {
        self.finalOutput = finalOutput
        self.agent = agent
        self.usage = usage
    }

    /// The answer of a run: its final output, last agent and usage.
    public init(_ result: RunResult) {
        self.init(finalOutput: result.finalOutput, agent: result.lastAgent.name, usage: result.usage)
    }
}

extension MessageQueue {
    /// Enqueues `message` for the agent of `agentConfig` (the Ruby gem's
    /// `enqueue(message:, agent_config:, callback_url:)`); when its job ends, its
    /// ``CallbackResult`` is POSTed to `callbackURL`.
    ///
    /// - Throws: ``StreamingError/invalidInput(_:)`` for a callback URL that is not `http` or `https`.
    @discardableResult
    public func enqueue(
        message: String,
        agentConfig: AgentConfiguration,
        callbackURL: String? = nil,
        metadata: [String: String] = [:],
        priority: JobPriority = .normal
    ) async throws -> JobID {
        try await enqueue(message, agent: agentConfig, callbackURL: callbackURL, metadata: metadata, priority: priority)
    }

    /// Handles messages with `handler` until ``shutdown()``: several at once, each under a
    /// lease renewed while it runs; a consumer that died has its messages delivered again
    /// when their leases end. A message whose handler throws is retried with backoff until
    /// its attempts are used up (``StreamingError/invalidInput(_:)`` is not retried), then
    /// dead.
    ///
    /// A message with a callback URL gets its answer, or the error of its last attempt,
    /// POSTed by a `callback` job, with two limits:
    /// - An answer counts once its callback is enqueued. A failed enqueue is tried again in
    ///   place, with the backoff between tries; when every try fails, the attempt fails with
    ///   ``CallbackEnqueueFailure`` and is retried like any failure (the handler runs again),
    ///   and after the last attempt the message is dead with that reason. An answered message
    ///   is never reported as `failed`.
    /// - A consumer killed (SIGKILL, a crash, a lost machine) during a message's last attempt
    ///   sends no callback: when its lease ends, lease recovery makes the message dead with
    ///   "the worker's lease ended before it finished" and nothing is POSTed. `raaf-streaming
    ///   jobs dead` lists it; requeueing it (`jobs dead --requeue`) runs it again, callback included.
    ///
    /// - Throws: When the processor is already running.
    public func process(_ handler: @escaping @Sendable (ReceivedMessage) async throws -> MessageAnswer) async throws {
        let outbox = processor.callbackOutbox(attempts: callbackAttempts)
        processor.register(Self.jobName) { [tracer] context in
            let job = context.job
            let message: QueuedMessage
            do {
                message = try JSONDecoder().decode(QueuedMessage.self, from: Data(job.payload))
            } catch {
                throw StreamingError.invalidInput("the message does not decode: \(error)")
            }
            let received = ReceivedMessage(id: job.id, message: message, attempt: job.attempts, lease: context.lease)
            let answer = try await Callbacks.reporting(
                to: message.callbackURL, context: context, agent: message.agent.name,
                metadata: message.metadata.isEmpty ? nil : message.metadata, through: outbox, answer: { $0 }
            ) {
                // One trace from the enqueue to this answer: the handler's run is a child of this span.
                try await JobTraceContext.consume(
                    "process message", carrier: message.traceContext, tracer: tracer,
                    attributes: ["raaf.job.id": "\(job.id)", "gen_ai.agent.name": message.agent.name]
                ) { try await handler(received) }
            }
            return Array(answer.finalOutput.utf8)
        }
        try await processor.run()
    }

    /// Stops ``process(_:)``: no new messages; answers in progress get the shutdown grace,
    /// then go back to the queue.
    public func shutdown() {
        processor.shutdown()
    }

    /// The consumer's figures (running, workers, active, processed) and the queue's
    /// (waiting by priority, scheduled, dead, completed); callbacks are jobs of this queue.
    public func stats() async throws -> BackgroundProcessorStats {
        try await processor.stats()
    }
}
