#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random words for ids and lease tokens (``UUIDText``), as many as one operation needs, from
/// one call for random bytes.
///
/// `SystemRandomNumberGenerator` asks the kernel for every 8 bytes; one `arc4random_buf` call
/// per batch (glibc and Darwin; `getrandom` inside) instead of one per id saves most of the
/// rest of an id's cost (docs/PERFORMANCE.md).
struct BatchedRandom: RandomNumberGenerator {
    private var words: [UInt64]
    private var index = 0

    /// Room for `ids` ids (two words each); more are fetched if more are asked for.
    init(ids: Int) {
        words = Self.randomWords(2 * max(ids, 1))
    }

    mutating func next() -> UInt64 {
        if index == words.count {
            words = Self.randomWords(words.count)
            index = 0
        }
        defer { index += 1 }
        return words[index]
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
