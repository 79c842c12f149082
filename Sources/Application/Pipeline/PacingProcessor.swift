import StreamingDomain

/// Spaces answer chunks `delay` apart on `clock` (the Ruby gem's `chunk_delay`), for
/// a typing effect or to spare a slow client. Other events pass at once.
public struct PacingProcessor: StreamProcessor {
    public let delay: Duration
    private let clock: any Clock<Duration>
    private var sentContent = false

    public init(delay: Duration, clock: any Clock<Duration> = ContinuousClock()) {
        self.delay = delay
        self.clock = clock
    }

    public mutating func process(_ event: StreamEvent, into output: inout StreamOutput) async throws {
        if case .content = event.kind, delay > .zero {
            if sentContent {
                try await clock.sleep(for: delay)
            }
            sentContent = true
        }
        output.emit(event)
    }
}
