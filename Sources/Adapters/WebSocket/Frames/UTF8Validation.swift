/// UTF-8 validation of WebSocket text messages (RFC 6455 section 8.1).
enum UTF8Validation {
    /// Whether `bytes` are one whole, valid UTF-8 text. An ASCII fast path first: JSON frames are mostly ASCII.
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let index = asciiPrefixLength(bytes)
        if index == bytes.count { return true }
        return String(validating: UnsafeRawBufferPointer(rebasing: bytes[index...]), as: UTF8.self) != nil
    }

    /// How many leading bytes are ASCII, eight at a time while no byte has its high bit set.
    static func asciiPrefixLength(_ bytes: UnsafeRawBufferPointer) -> Int {
        var index = 0
        let count = bytes.count
        while index + 8 <= count {
            if bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
            index += 8
        }
        while index < count, bytes[index] < 0x80 { index += 1 }
        return index
    }

    /// Validates a text message fragment by fragment, so a connection that sends a bad
    /// fragment is failed at once (RFC 6455 8.1: "fail fast") rather than after the message
    /// has been buffered whole. A character may be split across fragments.
    struct Incremental: Sendable, Hashable {
        /// Continuation bytes still expected for the current character.
        private var needed: UInt8 = 0
        /// The range the next continuation byte must fall in (it is narrower after E0, ED, F0, F4,
        /// which rules out overlong forms, surrogates and code points past U+10FFFF).
        private var lower: UInt8 = 0x80
        private var upper: UInt8 = 0xBF

        init() {}

        /// Whether the message so far is a valid prefix of UTF-8 text.
        mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
            var start = 0
            if needed == 0 {
                start = UTF8Validation.asciiPrefixLength(bytes)
            }
            for index in start..<bytes.count {
                let byte = bytes[index]
                if needed > 0 {
                    guard byte >= lower, byte <= upper else { return false }
                    needed -= 1
                    lower = 0x80
                    upper = 0xBF
                    continue
                }
                switch byte {
                case 0x00...0x7F: continue
                case 0xC2...0xDF: needed = 1
                case 0xE0: needed = 2; lower = 0xA0
                case 0xE1...0xEC, 0xEE...0xEF: needed = 2
                case 0xED: needed = 2; upper = 0x9F
                case 0xF0: needed = 3; lower = 0x90
                case 0xF1...0xF3: needed = 3
                case 0xF4: needed = 3; upper = 0x8F
                default: return false
                }
            }
            return true
        }

        /// Whether the message ends on a whole character.
        var isComplete: Bool { needed == 0 }
    }
}
