/// Exponential backoff with full jitter: the wait before retry `n` is drawn uniformly
/// from zero to `min(cap, base × 2^(n-1))`, so clients that failed together spread out
/// instead of retrying in step.
public struct RetryBackoff: Sendable, Hashable {
    /// The cap of the first retry (the Ruby gem's `retry_delay`).
    public var base: Duration
    /// The largest cap.
    public var cap: Duration

    public init(base: Duration = .seconds(5), cap: Duration = .seconds(600)) {
        self.base = base
        self.cap = cap
    }

    /// The ceiling of the wait before retry number `retry` (1 for the first).
    public func ceiling(beforeRetry retry: Int) -> Duration {
        let doublings = min(max(retry - 1, 0), 40)
        let grown = base * (1 << min(doublings, 30))
        return min(cap, doublings > 30 ? cap : grown)
    }

    /// A random wait before retry number `retry`.
    public func delay(beforeRetry retry: Int, using random: inout some RandomNumberGenerator) -> Duration {
        Self.fullJitter(below: ceiling(beforeRetry: retry), using: &random)
    }

    /// A wait drawn uniformly from zero to `ceiling` (full jitter), to the nanosecond.
    public static func fullJitter(below ceiling: Duration, using random: inout some RandomNumberGenerator) -> Duration {
        let nanoseconds = ceiling.nanoseconds
        guard nanoseconds > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: 0...nanoseconds, using: &random))
    }

    /// A random wait before retry number `retry`, from the system's generator.
    public func delay(beforeRetry retry: Int) -> Duration {
        var random = SystemRandomNumberGenerator()
        return delay(beforeRetry: retry, using: &random)
    }
}
