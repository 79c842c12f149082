import StreamingApplication
import StreamingDomain

/// Wraps a provider and waits `delay` before each delta (the Ruby gem's
/// `simulation_delay`), to show streaming at a human pace or to test slow models.
public struct SimulatedProvider: ModelProvider {
    public let base: any ModelProvider
    public let delay: Duration
    private let clock: any Clock<Duration>

    public init(base: any ModelProvider, delay: Duration, clock: any Clock<Duration> = ContinuousClock()) {
        self.base = base
        self.delay = delay
        self.clock = clock
    }

    public func stream(_ request: ModelRequest) async throws -> ModelResponseStream {
        let upstream = try await base.stream(request)
        guard delay > .zero else { return upstream }
        return ModelResponseStream(DelayedDeltas(upstream: upstream, delay: delay, clock: clock))
    }

    public func shutdown() async throws {
        try await base.shutdown()
    }

    /// The figures of the wrapped provider.
    public var requestStats: ModelRequestStats? { base.requestStats }
}

private struct DelayedDeltas: AsyncSequence {
    typealias Element = ModelDelta
    let upstream: ModelResponseStream
    let delay: Duration
    let clock: any Clock<Duration>

    func makeAsyncIterator() -> Iterator {
        Iterator(upstream: upstream.makeAsyncIterator(), delay: delay, clock: clock)
    }

    struct Iterator: AsyncIteratorProtocol {
        var upstream: ModelResponseStream.AsyncIterator
        let delay: Duration
        let clock: any Clock<Duration>

        mutating func next() async throws -> ModelDelta? {
            // Sleeping before asking upstream makes a cancelled consumer stop here, promptly.
            try await clock.sleep(for: delay)
            return try await upstream.next()
        }
    }
}
