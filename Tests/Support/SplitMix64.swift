/// A small seeded generator, so a failing random case can be replayed.
///
/// Tests use it instead of `SystemRandomNumberGenerator` where a generator is passed `inout`:
/// that one has no stored property, and ThreadSanitizer (Swift 6.3.1) can crash on an inout
/// access to a zero-size value (scripts/sanitizers/tsan-zero-size-capture.swift).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
