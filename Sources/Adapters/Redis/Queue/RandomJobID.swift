import StreamingDomain

/// Random version-4 UUIDs in lowercase text, the form of ``JobID/random()``, made about
/// five times faster than `UUID().uuidString.lowercased()`: a batch enqueue makes one
/// per job, and that call was most of the client's time.
enum RandomJobID {
    private static let digits = Array("0123456789abcdef".utf8)

    static func make(using generator: inout some RandomNumberGenerator) -> JobID {
        var high = generator.next()
        var low = generator.next()
        high = (high & ~0x0000_0000_0000_F000) | 0x0000_0000_0000_4000 // version 4
        low = (low & ~0xC000_0000_0000_0000) | 0x8000_0000_0000_0000 // RFC 4122 variant
        let text = String(unsafeUninitializedCapacity: 36) { buffer in
            var position = 0
            func put(_ value: UInt64, nibbles: Int) {
                for shift in stride(from: (nibbles - 1) * 4, through: 0, by: -4) {
                    buffer[position] = digits[Int((value >> UInt64(shift)) & 0xF)]
                    position += 1
                }
            }
            func dash() {
                buffer[position] = UInt8(ascii: "-")
                position += 1
            }
            put(high >> 32, nibbles: 8)
            dash()
            put(high >> 16, nibbles: 4)
            dash()
            put(high, nibbles: 4)
            dash()
            put(low >> 48, nibbles: 4)
            dash()
            put(low, nibbles: 12)
            return position
        }
        return JobID(rawValue: text)
    }
}
