#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// UUIDs in lower-case text, the form `JobID.random()` makes: time-ordered ones for job
/// ids, random ones for lease tokens; as many as one operation needs, from one call for
/// random bytes.
///
/// Made here rather than with Foundation's `UUID()`, which on Linux opens `/dev/urandom`
/// for every id (a profile of the queue's round trip spent an eighth of its time there);
/// one `arc4random_buf` call per batch (glibc and Darwin; `getrandom` inside) instead of
/// one per id saves the rest.
struct RandomIDs {
    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)
    private var words: [UInt64]
    private var next = 0

    /// Room for `count` ids; more are fetched if more are made.
    init(count: Int) {
        words = Self.randomWords(2 * max(count, 1))
    }

    /// A new random (version 4) id, such as `3f2b8c1e-9a4d-4e7f-b1c2-0d9e8f7a6b5c`.
    mutating func make() -> String {
        let (high, low) = nextWords()
        return Self.format(high: (high & ~0xF000) | 0x4000, low: low)
    }

    /// A new time-ordered (version 7) id: 48 bits of Unix milliseconds, then 74 random
    /// bits, such as `0192a3b4-c5d6-7e7f-b1c2-0d9e8f7a6b5c`. Ids made later sort after
    /// earlier ones (to the millisecond), so a B-tree index of them grows at its right
    /// edge: inserting a batch dirties a few pages instead of one per job.
    mutating func makeTimeOrdered(unixMilliseconds: UInt64) -> String {
        let (high, low) = nextWords()
        return Self.format(high: ((unixMilliseconds & 0xFFFF_FFFF_FFFF) << 16) | 0x7000 | (high & 0x0FFF), low: low)
    }

    private mutating func nextWords() -> (UInt64, UInt64) {
        if next + 2 > words.count {
            words = Self.randomWords(words.count)
            next = 0
        }
        defer { next += 2 }
        return (words[next], words[next + 1])
    }

    /// The 128 bits as text, with the RFC 9562 variant bits set in `low`.
    private static func format(high: UInt64, low: UInt64) -> String {
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

    /// `count` words from the system's secure random source.
    private static func randomWords(_ count: Int) -> [UInt64] {
        var words = [UInt64](repeating: 0, count: count)
        words.withUnsafeMutableBytes { buffer in
            #if canImport(Glibc) || canImport(Darwin)
            // glibc 2.36+ and Darwin: the kernel's random source, one call for the batch.
            arc4random_buf(buffer.baseAddress!, buffer.count)
            #else
            var generator = SystemRandomNumberGenerator()
            for offset in stride(from: 0, to: buffer.count, by: 8) {
                buffer.storeBytes(of: generator.next() as UInt64, toByteOffset: offset, as: UInt64.self)
            }
            #endif
        }
        return words
    }
}
