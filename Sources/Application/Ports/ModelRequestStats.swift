import StreamingDomain

/// What a model provider reports about its requests to the model server: how many run, how
/// many wait for a connection and for how long, and how soon the model starts answering.
///
/// Providers that bound their requests (``ModelProvider/requestStats``, the OpenAI provider)
/// report it; `/stats` and `/metrics` show it. Totals count from the provider's creation.
public struct ModelRequestStats: Sendable, Equatable {
    /// The most requests the provider runs at once (`provider.max_connections`).
    public var maxConcurrent: Int
    /// Requests holding a connection now: sent, or streaming their answer.
    public var inFlight: Int
    /// Requests waiting for a connection now, because ``maxConcurrent`` run already.
    public var waiting: Int
    /// How long the request that has waited longest so far has been waiting; zero when none waits.
    public var oldestWait: Duration
    /// Requests that got a connection, since the provider was created.
    public var started: Int
    /// Of ``started``, the requests that had to wait for their connection.
    public var waited: Int
    /// The wait of every request in ``waited``, added up.
    public var totalWait: Duration
    /// The longest wait of a request that got its connection.
    public var longestWait: Duration
    /// Requests that waited past the queue timeout and failed with
    /// ``StreamingDomain/StreamingError/serverBusy(_:)``.
    public var queueTimeouts: Int
    /// Requests whose run was cancelled while they waited; they left the queue at once.
    public var cancelledWhileWaiting: Int
    /// Answers whose first delta arrived.
    public var firstTokens: Int
    /// For each answer in ``firstTokens``, the time from the call to the provider to its
    /// first delta (queue wait included), added up.
    public var totalTimeToFirstToken: Duration

    /// Creates figures; every count starts at zero.
    public init(
        maxConcurrent: Int,
        inFlight: Int = 0,
        waiting: Int = 0,
        oldestWait: Duration = .zero,
        started: Int = 0,
        waited: Int = 0,
        totalWait: Duration = .zero,
        longestWait: Duration = .zero,
        queueTimeouts: Int = 0,
        cancelledWhileWaiting: Int = 0,
        firstTokens: Int = 0,
        totalTimeToFirstToken: Duration = .zero
    ) {
        self.maxConcurrent = maxConcurrent
        self.inFlight = inFlight
        self.waiting = waiting
        self.oldestWait = oldestWait
        self.started = started
        self.waited = waited
        self.totalWait = totalWait
        self.longestWait = longestWait
        self.queueTimeouts = queueTimeouts
        self.cancelledWhileWaiting = cancelledWhileWaiting
        self.firstTokens = firstTokens
        self.totalTimeToFirstToken = totalTimeToFirstToken
    }

    /// The mean wait of the requests that waited; zero when none did.
    public var averageWait: Duration { waited == 0 ? .zero : totalWait / waited }

    /// The mean time to first token; zero before the first answer.
    public var averageTimeToFirstToken: Duration {
        firstTokens == 0 ? .zero : totalTimeToFirstToken / firstTokens
    }
}
