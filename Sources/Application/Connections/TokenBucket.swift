/// A token bucket: `capacity` messages at once, refilled at `capacity` per `period`.
///
/// Used per connection for `messages per minute`; a burst up to the capacity passes, a
/// steady rate above it does not.
struct TokenBucket: Sendable {
    let capacity: Double
    let refillPerNanosecond: Double
    var tokens: Double
    var updatedAt: ContinuousClock.Instant

    init(capacity: Int, period: Duration, now: ContinuousClock.Instant) {
        // At least one message per period: a zero capacity would divide by zero below.
        let capacity = max(1, capacity)
        self.capacity = Double(capacity)
        let nanoseconds = Double(period.nanoseconds)
        self.refillPerNanosecond = Double(capacity) / max(nanoseconds, 1)
        self.tokens = Double(capacity)
        self.updatedAt = now
    }

    /// Takes one token if there is one; otherwise returns how long until there will be.
    mutating func take(now: ContinuousClock.Instant) -> Duration? {
        let elapsed = now - updatedAt
        let nanoseconds = Double(elapsed.nanoseconds)
        tokens = min(capacity, tokens + nanoseconds * refillPerNanosecond)
        updatedAt = now
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        let wait = (1 - tokens) / refillPerNanosecond
        return .nanoseconds(Int64(wait.rounded(.up)))
    }

    /// Whether the bucket has refilled to its capacity by `now`: forgetting it then changes nothing.
    func isFull(now: ContinuousClock.Instant) -> Bool {
        let elapsed = now - updatedAt
        let nanoseconds = Double(elapsed.nanoseconds)
        return tokens + nanoseconds * refillPerNanosecond >= capacity
    }
}
