import Logging
import StreamingApplication
import StreamingDomain
import StreamingMemory

extension StreamingSystem {
    /// Where jobs live by default: `REDIS_URL` when set, else the SQLite file `background.sqlitePath`.
    public var defaultJobQueueLocation: JobQueueLocation {
        if let redisURL = configuration.background.redisURL { return .redis(url: redisURL) }
        return .sqlite(path: configuration.background.sqlitePath)
    }

    /// Opens the job queue at `location` (the default location when `nil`).
    ///
    /// - Throws: ``StreamingError/connection(_:)`` when the store cannot be opened,
    ///   ``StreamingError/configuration(variable:reason:)`` for a malformed Redis URL.
    public func makeJobQueue(_ location: JobQueueLocation? = nil) throws -> any JobQueue {
        switch location ?? defaultJobQueueLocation {
        case .memory:
            return InMemoryJobQueue()
        case .sqlite(let path):
            return try Self.openSQLiteQueue(path: path, logger: logger(LogLabel.background))
        case .redis(let url):
            return try Self.openRedisQueue(
                url: url, connections: configuration.background.redisPoolSize, logger: logger(LogLabel.background))
        }
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
