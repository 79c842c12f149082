import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Synchronization
import Testing

/// Fails its first requests with the errors given, in order, then answers.
final class FlakyProvider: ModelProvider {
    private let failures: Mutex<[StreamingError]>
    private let count = Mutex(0)

    init(failures: [StreamingError]) {
        self.failures = Mutex(failures)
    }

    var requests: Int { count.withLock { $0 } }

    func stream(_ request: ModelRequest) async throws -> ModelResponseStream {
        count.withLock { $0 += 1 }
        if let failure = failures.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { throw failure }
        return ModelResponseStream(deltas: textTurn(["recovered"]))
    }
}

@Suite("AsyncRunner retries")
struct AsyncRunnerRetryTests {
    /// Lets the pending retry wait run for `duration` on `clock`, and checks it was not shorter.
    func expectWait(of duration: Duration, on clock: ManualClock) async throws {
        try await clock.waitForSleepers(1)
        clock.advance(by: duration - .milliseconds(1))
        #expect(clock.sleeperCount == 1, "the wait ended before \(duration)")
        clock.advance(by: .milliseconds(1))
    }

    @Test("retries connection errors with exponential backoff, then returns the result")
    func retriesWithBackoff() async throws {
        let clock = ManualClock()
        let provider = FlakyProvider(failures: [.connection("reset"), .provider(status: 503, message: "busy"), .timeout("slow")])
        try await withPool(provider, clock: clock) { pool in
            async let result = pool.processWithRetry(agent, "hi", retryCount: 3, retryDelay: .seconds(1))
            try await expectWait(of: .seconds(1), on: clock)
            try await expectWait(of: .seconds(2), on: clock)
            try await expectWait(of: .seconds(4), on: clock)
            #expect(try await result.finalOutput == "recovered")
            #expect(provider.requests == 4)
            #expect(pool.stats.failed == 3)
            #expect(pool.stats.completed == 1)
        }
    }

    @Test("gives up after retryCount retries with the last error")
    func exhausts() async throws {
        let clock = ManualClock()
        let provider = FlakyProvider(failures: Array(repeating: .provider(status: 502, message: "bad gateway"), count: 5))
        try await withPool(provider, clock: clock) { pool in
            let result = Task { try await pool.processWithRetry(agent, "hi", retryCount: 2, retryDelay: .milliseconds(100)) }
            try await expectWait(of: .milliseconds(100), on: clock)
            try await expectWait(of: .milliseconds(200), on: clock)
            await #expect(throws: StreamingError.provider(status: 502, message: "bad gateway")) { try await result.value }
            #expect(provider.requests == 3)
        }
    }

    @Test("does not retry an error that cannot succeed on retry")
    func doesNotRetryPermanentErrors() async throws {
        for error in [StreamingError.provider(status: 400, message: "bad"), .invalidInput("no"), .maxTurnsExceeded(maxTurns: 3)] {
            let clock = ManualClock()
            let provider = FlakyProvider(failures: [error])
            try await withPool(provider, clock: clock) { pool in
                await #expect(throws: error) { try await pool.processWithRetry(agent, "hi", retryCount: 5) }
                #expect(provider.requests == 1)
                #expect(clock.sleeperCount == 0)
            }
        }
    }

    @Test("waits at least a rate limit's retryAfter")
    func honoursRetryAfter() async throws {
        let clock = ManualClock()
        let provider = FlakyProvider(failures: [.rateLimited(retryAfter: .seconds(30))])
        try await withPool(provider, clock: clock) { pool in
            async let result = pool.processWithRetry(agent, "hi", retryCount: 1, retryDelay: .seconds(1))
            try await expectWait(of: .seconds(30), on: clock)
            #expect(try await result.finalOutput == "recovered")
        }
    }

    @Test("the default jitter draws each wait between zero and its ceiling")
    func fullJitter() {
        let waits = (0..<200).map { _ in AsyncRunner.fullJitter(.seconds(2)) }
        #expect(waits.allSatisfy { $0 >= .zero && $0 <= .seconds(2) })
        #expect(Set(waits).count > 100)
        #expect(AsyncRunner.fullJitter(.zero) == .zero)
    }
}
