/// UUIDs (RFC 9562) in lower-case text, such as `3f2b8c1e-9a4d-4e7f-b1c2-0d9e8f7a6b5c`: the form
/// of every ``JobID`` and lease token, whichever backend makes it.
///
/// Formatted here rather than with Foundation's `UUID().uuidString.lowercased()`, which cost
/// 3.8 µs an id against 0.7 µs, and on Linux opens `/dev/urandom` for every id
/// (docs/PERFORMANCE.md). The caller chooses the random source: a backend that makes many ids
/// at once passes one that fetches its bytes in a single call.
public enum UUIDText {
    /// A random (version 4) UUID.
    public static func random(using generator: inout some RandomNumberGenerator) -> String {
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return format(high: (high & ~0xF000) | 0x4000, low: low)
    }

    /// A time-ordered (version 7) UUID: 48 bits of Unix milliseconds, then 74 random bits.
    /// Ids made later sort after earlier ones (to the millisecond), so a B-tree index of them
    /// grows at its right edge.
    public static func timeOrdered(unixMilliseconds: UInt64, using generator: inout some RandomNumberGenerator) -> String {
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return format(high: ((unixMilliseconds & 0xFFFF_FFFF_FFFF) << 16) | 0x7000 | (high & 0x0FFF), low: low)
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// The 128 bits as text, with the RFC 9562 variant bits set in `low`.
    static func format(high: UInt64, low: UInt64) -> String {
        let low = (low & ~(0xC000 << 48)) | (0x8000 << 48)
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var index = 0
            func put(_ word: UInt64, digits: Int, from shift: Int) {
                for digit in 0..<digits {
                    buffer[index] = hex[Int((word >> UInt64(shift - 4 * digit)) & 0xF)]
                    index += 1
                }
            }
            func dash() {
                buffer[index] = UInt8(ascii: "-")
                index += 1
            }
            put(high, digits: 8, from: 60)
            dash()
            put(high, digits: 4, from: 28)
            dash()
            put(high, digits: 4, from: 12)
            dash()
            put(low, digits: 4, from: 60)
            dash()
            put(low, digits: 12, from: 44)
            return index
        }
    }
}
