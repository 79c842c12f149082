import StreamingOpenAI
import StreamingTestSupport
import Testing

@Suite("RetryPolicy")
struct RetryPolicyTests {
    @Test("full jitter stays under an exponential cap, itself capped")
    func backoff() {
        let policy = RetryPolicy(maxRetries: 10, initialBackoff: .milliseconds(100), maxBackoff: .seconds(1))
        var random = SplitMix64(seed: 0x5EED)
        for retry in 1...10 {
            let cap = min(Duration.seconds(1), .milliseconds(100) * (1 << (retry - 1)))
            for _ in 0..<200 {
                let delay = try! #require(policy.delay(beforeRetry: retry, retryAfter: nil, using: &random))
                #expect(delay >= .zero && delay <= cap)
            }
        }
        // Jitter really spreads: 200 draws under a 1 s cap are not all alike.
        let draws = Set((0..<200).map { _ in policy.delay(beforeRetry: 10, retryAfter: nil, using: &random)! })
        #expect(draws.count > 100)
    }

    @Test("Retry-After is honoured exactly, up to the longest wait allowed")
    func retryAfter() {
        let policy = RetryPolicy(maxRetries: 3, maxRetryAfter: .seconds(30))
        var random = SplitMix64(seed: 0x5EED)
        #expect(policy.delay(beforeRetry: 1, retryAfter: .seconds(7), using: &random) == .seconds(7))
        #expect(policy.delay(beforeRetry: 1, retryAfter: .seconds(31), using: &random) == nil)
    }

    @Test("no retry past maxRetries; only 429 and 5xx are retryable")
    func limits() {
        let policy = RetryPolicy(maxRetries: 2)
        var random = SplitMix64(seed: 0x5EED)
        #expect(policy.delay(beforeRetry: 2, retryAfter: nil, using: &random) != nil)
        #expect(policy.delay(beforeRetry: 3, retryAfter: nil, using: &random) == nil)
        #expect(RetryPolicy.isRetryable(status: 429))
        #expect(RetryPolicy.isRetryable(status: 502))
        #expect(!RetryPolicy.isRetryable(status: 400))
        #expect(!RetryPolicy.isRetryable(status: 404))
    }
}
