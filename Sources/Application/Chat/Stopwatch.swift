/// Time as the chat service reads it from the `Clock` it was given: time since the service
/// started, and sleeping.
///
/// The service takes `any Clock<Duration>` so tests pass a manual clock; an existential's
/// instants cannot be stored or compared, so the clock is opened once here and the service
/// keeps plain `Duration`s (typing deadlines) measured from a fixed start.
struct Stopwatch: Sendable {
    /// The time since the stopwatch was made.
    let elapsed: @Sendable () -> Duration
    /// Sleeps on the clock for a duration.
    let sleep: @Sendable (Duration) async throws -> Void

    init(_ clock: any Clock<Duration>) {
        self = Self.make(clock)
    }

    private init(elapsed: @escaping @Sendable () -> Duration, sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.elapsed = elapsed
        self.sleep = sleep
    }

    private static func make<C: Clock<Duration>>(_ clock: C) -> Stopwatch {
        let start = clock.now
        return Stopwatch(
            elapsed: { start.duration(to: clock.now) },
            sleep: { duration in try await clock.sleep(for: duration) }
        )
    }
}
