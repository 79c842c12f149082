/// The units other APIs want a `Duration` in: one conversion each, for the whole project.
/// (SwiftNIO's own `TimeAmount(_: Duration)` converts for NIO.)
extension Duration {
    /// The duration in seconds, as `Date` arithmetic wants it.
    public var timeInterval: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// The whole nanoseconds of the duration (rounded toward zero).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// The whole milliseconds of the duration (rounded toward zero).
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
