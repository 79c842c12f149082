/// Settings of background job processing (`config.background` in the Ruby gem).
///
/// Its description masks the password of ``redisURL``:
/// `redis://user:[redacted]@cache:6379/0`.
public struct BackgroundSettings: Sendable, Equatable {
    /// The Redis server that holds the job queue; `REDIS_URL`, setting `background.redis_url`.
    /// `nil` (the default) keeps jobs in the SQLite file ``sqlitePath``. It must start with
    /// `redis://` or `rediss://`.
    public var redisURL: String?
    /// The SQLite file that holds the job queue when no Redis is configured; setting
    /// `background.sqlite_path`. Default `raaf-jobs.sqlite` in the working directory.
    public var sqlitePath: String
    /// How many workers claim jobs at once; `BACKGROUND_WORKERS`, setting `background.workers`. Default 10.
    public var workers: Int
    /// How many times a failed job is retried before it is dead-lettered; `BACKGROUND_RETRY_COUNT`,
    /// setting `background.retry_count`. Default 3.
    public var retryCount: Int
    /// The base delay before a failed job is retried; setting `background.retry_delay`. Default 5 s.
    public var retryDelay: Duration
    /// Connections to Redis for commands (the job queue's, and a cluster node's stream logs):
    /// `REDIS_POOL_SIZE`, setting `background.redis_pool_size`. Default 4: each runs one
    /// command (or pipeline) at a time on a thread of its own, and four keep a node's
    /// round trips from queueing behind each other at the loads measured in PERFORMANCE.md.
    /// A cluster node also opens two connections of its own (Pub/Sub, and its publisher).
    public var redisPoolSize: Int

    /// Creates background settings; every parameter defaults to the gem's default.
    public init(
        redisURL: String? = nil,
        sqlitePath: String = "raaf-jobs.sqlite",
        workers: Int = 10,
        retryCount: Int = 3,
        retryDelay: Duration = .seconds(5),
        redisPoolSize: Int = 4
    ) {
        self.redisURL = redisURL
        self.sqlitePath = sqlitePath
        self.workers = workers
        self.retryCount = retryCount
        self.retryDelay = retryDelay
        self.redisPoolSize = redisPoolSize
    }

    /// ``redisURL`` with its password replaced by `[redacted]`, safe to print.
    public var redactedRedisURL: String? {
        redisURL.map(URLCredentials.masked)
    }
}

extension BackgroundSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The settings with the Redis password masked.
    public var description: String {
        let url = redactedRedisURL.map { "\"\($0)\"" } ?? "nil"
        return "BackgroundSettings(redisURL: \(url), workers: \(workers), retryCount: \(retryCount), "
            + "retryDelay: \(retryDelay))"
    }

    /// The same text as ``description``: the password is masked here too.
    public var debugDescription: String { description }

    /// A mirror whose `redisURL` child has the password masked, so `dump` does not print it.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "redisURL": redactedRedisURL as Any,
                "workers": workers,
                "retryCount": retryCount,
                "retryDelay": retryDelay,
            ],
            displayStyle: .struct
        )
    }
}
