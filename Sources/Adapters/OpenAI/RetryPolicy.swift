import StreamingApplication

/// When to try a request again: 429 and 5xx answers that came before any byte of the
/// stream, up to `maxRetries` times, waiting as the server's `Retry-After` asks or else
/// an exponential backoff with full jitter.
public struct RetryPolicy: Sendable, Hashable {
    /// How many times a request may be retried after its first attempt.
    public var maxRetries: Int
    /// The backoff cap of the first retry; it doubles with each retry.
    public var initialBackoff: Duration
    /// The largest backoff cap.
    public var maxBackoff: Duration
    /// The longest `Retry-After` honoured; a server asking for more gets no retry.
    public var maxRetryAfter: Duration

    public init(
        maxRetries: Int = 3,
        initialBackoff: Duration = .milliseconds(500),
        maxBackoff: Duration = .seconds(20),
        maxRetryAfter: Duration = .seconds(60)
    ) {
        self.maxRetries = maxRetries
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.maxRetryAfter = maxRetryAfter
    }

    /// Whether a status may succeed on retry.
    public static func isRetryable(status: Int) -> Bool {
        status == 429 || (500...599).contains(status)
    }

    /// The wait before retry number `retry` (1 for the first), or `nil` for no retry.
    public func delay(
        beforeRetry retry: Int,
        retryAfter: Duration?,
        using random: inout some RandomNumberGenerator
    ) -> Duration? {
        guard retry <= maxRetries else { return nil }
        if let retryAfter {
            return retryAfter <= maxRetryAfter ? max(retryAfter, .zero) : nil
        }
        return RetryBackoff(base: initialBackoff, cap: maxBackoff).delay(beforeRetry: retry, using: &random)
    }
}
