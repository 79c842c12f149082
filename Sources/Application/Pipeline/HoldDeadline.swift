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

/// Text a step holds back, and when it falls due: what ``CoalesceProcessor`` and
/// ``RechunkProcessor`` share (flushing, expiry), so each keeps only its own rule.
struct HeldText: Sendable {
    var text = ""
    private(set) var deadline: HoldDeadline?

    var expiry: HoldExpiry? { deadline?.expiry }
    var isDue: Bool { deadline?.isDue() == true }

    /// Starts the wait of the held text, unless it has started already.
    mutating func startWaiting(_ delay: Duration, on clock: any Clock<Duration>) {
        if deadline == nil { deadline = .after(delay, on: clock) }
    }

    /// Restarts the wait: what is held now arrived last.
    mutating func resetWait() { deadline = nil }

    /// Passes on whatever is held.
    mutating func flush(into output: inout StreamOutput) {
        deadline = nil
        guard !text.isEmpty else { return }
        output.emit(.content(text))
        text = ""
    }

    /// Passes on what is held if it has fallen due.
    mutating func flushIfDue(into output: inout StreamOutput) {
        if isDue { flush(into: &output) }
    }
}
