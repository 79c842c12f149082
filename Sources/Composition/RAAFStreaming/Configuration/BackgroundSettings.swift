import StreamingApplication

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
    /// The queue `worker`, `enqueue`, `jobs` and ``StreamingSystem/makeJobQueue(_:queue:)``
    /// use in the backend (the Ruby gem's `queue_name`, ``QueueName``); `BACKGROUND_QUEUE_NAME`,
    /// setting `background.queue_name`. Default `default`.
    public var queueName: String
    /// The key of the HMAC-SHA256 signature (`X-RAAF-Signature`) of every callback POST;
    /// `RAAF_CALLBACK_SECRET`, setting `background.callback_secret`. `nil`: unsigned. Masked
    /// in descriptions and logs.
    public var callbackSecret: String?
    /// The hosts callbacks may be POSTed to; `RAAF_CALLBACK_ALLOWED_HOSTS` (comma-separated),
    /// setting `background.callback_allowed_hosts`. Empty (the default): any host.
    public var callbackAllowedHosts: [String]
    /// How long one callback POST may take; setting `background.callback_timeout`. Default 10 s.
    public var callbackTimeout: Duration
    /// Attempts a callback gets before it is dead; setting `background.callback_attempts`. Default 5.
    public var callbackAttempts: Int

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
        self.queueName = QueueName.defaultName
        self.callbackSecret = nil
        self.callbackAllowedHosts = []
        self.callbackTimeout = .seconds(10)
        self.callbackAttempts = Callbacks.defaultAttempts
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
            + "retryDelay: \(retryDelay), queueName: \"\(queueName)\", "
            + "callbackSecret: \(callbackSecret == nil ? "nil" : "\"[redacted]\""), "
            + "callbackAllowedHosts: \(callbackAllowedHosts), callbackTimeout: \(callbackTimeout), "
            + "callbackAttempts: \(callbackAttempts))"
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
                "queueName": queueName,
                "callbackSecret": callbackSecret.map { _ in "[redacted]" } as Any,
                "callbackAllowedHosts": callbackAllowedHosts,
                "callbackTimeout": callbackTimeout,
                "callbackAttempts": callbackAttempts,
            ],
            displayStyle: .struct
        )
    }
}
