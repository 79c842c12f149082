/// Settings of the bounded async task runner (`config.async` in the Ruby gem).
public struct AsyncSettings: Sendable, Equatable {
    /// How many tasks run at once; `ASYNC_POOL_SIZE`, setting `async.pool_size`. Default 20.
    public var poolSize: Int
    /// How many submitted tasks may wait for a free slot; `ASYNC_QUEUE_SIZE`, setting
    /// `async.queue_size`. Default 1000. A full queue refuses work with `StreamingError.queueFull`.
    public var queueSize: Int
    /// How long one task may run before it is cancelled; setting `async.thread_timeout`. Default 30 s.
    public var threadTimeout: Duration

    /// Creates async settings; every parameter defaults to the gem's default.
    public init(poolSize: Int = 20, queueSize: Int = 1000, threadTimeout: Duration = .seconds(30)) {
        self.poolSize = poolSize
        self.queueSize = queueSize
        self.threadTimeout = threadTimeout
    }
}
