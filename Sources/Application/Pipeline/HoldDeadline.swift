/// The moment a step's held text falls due, on a clock whose type the step does not know.
///
/// Made once per hold (when a step starts holding text), not per event.
struct HoldDeadline: Sendable {
    /// Whether the moment has come.
    let isDue: @Sendable () -> Bool
    /// A wait that ends at the moment.
    let expiry: HoldExpiry

    /// The moment `delay` from now on `clock`.
    static func after(_ delay: Duration, on clock: any Clock<Duration>) -> HoldDeadline {
        make(delay, clock)
    }

    private static func make<C: Clock>(_ delay: Duration, _ clock: C) -> HoldDeadline where C.Duration == Duration {
        let deadline = clock.now.advanced(by: delay)
        return HoldDeadline(isDue: { clock.now >= deadline }, expiry: HoldExpiry(at: deadline, on: clock))
    }
}
