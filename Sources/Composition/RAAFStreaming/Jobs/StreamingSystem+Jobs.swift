import Logging
import StreamingApplication
import StreamingDomain
import StreamingCallbacks
import StreamingMemory

extension StreamingSystem {
    /// Where jobs live by default: `REDIS_URL` when set, else the SQLite file `background.sqlitePath`.
    public var defaultJobQueueLocation: JobQueueLocation {
        if let redisURL = configuration.background.redisURL { return .redis(url: redisURL) }
        return .sqlite(path: configuration.background.sqlitePath)
    }

    /// Opens the queue named `queue` (`background.queue_name` when `nil`) at `location` (the
    /// default location when `nil`). Queues of different names share the backend, never
    /// their jobs; in memory, the same name gives the same queue for the life of this system.
    ///
    /// - Throws: ``StreamingError/connection(_:)`` when the store cannot be opened,
    ///   ``StreamingError/configuration(variable:reason:)`` for a malformed Redis URL,
    ///   ``StreamingError/invalidInput(_:)`` for a queue name ``QueueName`` refuses.
    public func makeJobQueue(_ location: JobQueueLocation? = nil, queue: String? = nil) throws -> any JobQueue {
        let name = queue ?? configuration.background.queueName
        switch location ?? defaultJobQueueLocation {
        case .memory:
            return try memoryJobs.queue(named: name)
        case .sqlite(let path):
            return try Self.openSQLiteQueue(path: path, queue: name, logger: logger(LogLabel.background))
        case .redis(let url):
            return try Self.openRedisQueue(
                url: url, queue: name, connections: configuration.background.redisPoolSize, logger: logger(LogLabel.background))
        }
    }

    /// Delivers callbacks with `background.callback_secret`, `.callback_allowed_hosts` and
    /// `.callback_timeout`.
    public var callbackSender: any CallbackSender {
        let background = configuration.background
        return HTTPCallbackSender(
            configuration: .init(
                secret: background.callbackSecret,
                allowedHosts: Set(background.callbackAllowedHosts),
                timeout: background.callbackTimeout
            )
        )
    }

    /// The message queue of the Ruby gem on the queue named `queue` (`background.queue_name`
    /// when `nil`) at `location`: the configured retries and backoff, callbacks delivered
    /// with ``callbackSender``.
    ///
    /// ```swift
    /// let messages = try system.messageQueue(queue: "agent_messages")
    /// try await messages.enqueue(message: "Summarise this", agentConfig: .init(name: "assistant"),
    ///                            callbackURL: "https://myapp.example/webhook")
    /// ```
    public func messageQueue(
        _ location: JobQueueLocation? = nil, queue: String? = nil, workers: Int? = nil, lease: Duration = .seconds(60)
    ) throws -> MessageQueue {
        let background = configuration.background
        return MessageQueue(
            queue: try makeJobQueue(location, queue: queue),
            lease: lease,
            backoff: RetryBackoff(base: background.retryDelay, cap: .seconds(600)),
            maxAttempts: background.retryCount + 1,
            workers: workers ?? background.workers,
            callbacks: callbackSender,
            callbackAttempts: background.callbackAttempts,
            shutdownGrace: configuration.server.shutdownGrace,
            tracer: tracer,
            logger: logger(LogLabel.background)
        )
    }

    /// A background processor over `queue` with the configured workers, retries and
    /// backoff, the shutdown grace of `server.shutdown_grace`, and the built-in jobs registered.
    public func backgroundProcessor(
        queue: any JobQueue,
        workers: Int? = nil,
        lease: Duration = .seconds(30)
    ) -> BackgroundProcessor {
        let background = configuration.background
        let processor = BackgroundProcessor(
            queue: queue,
            options: .init(
                workers: workers ?? background.workers,
                lease: lease,
                backoff: RetryBackoff(base: background.retryDelay, cap: .seconds(600)),
                maxAttempts: background.retryCount + 1,
                shutdownGrace: configuration.server.shutdownGrace
            ),
            logger: logger(LogLabel.background)
        )
        BuiltInJobs.register(on: processor, system: self)
        return processor
    }
}
