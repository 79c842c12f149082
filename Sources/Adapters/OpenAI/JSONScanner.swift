#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension UnsafeRawBufferPointer {
    /// Whether these bytes spell `literal`: one length check and one `memcmp`, the
    /// cheapest way to match a key on the per-delta path.
    @inline(__always)
    func equals(_ literal: StaticString) -> Bool {
        count == literal.utf8CodeUnitCount && (count == 0 || memcmp(baseAddress!, literal.utf8Start, count) == 0)
    }
}

/// A pull reader over JSON bytes: just enough to pick the fields of a streamed chunk
/// without building a tree, so a delta costs at most the one string it carries.
struct JSONScanner {
    struct Failure: Error {
        var offset: Int
        var reason: String
    }

    private let bytes: UnsafeRawBufferPointer
    private(set) var index = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var isAtEnd: Bool {
        mutating get {
            skipWhitespace()
            return index >= bytes.count
        }
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    @inline(__always)
    private mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    private func fail(_ reason: String) -> Failure {
        Failure(offset: index, reason: reason)
    }

    @inline(__always)
    private mutating func expect(_ byte: UInt8) throws(Failure) {
        guard peek() == byte else { throw fail("expected \"\(Character(Unicode.Scalar(byte)))\"") }
        index += 1
    }

    /// Whether a string comes next.
    mutating func nextIsString() -> Bool {
        peek() == UInt8(ascii: "\"")
    }

    /// Consumes `null` if it comes next.
    mutating func consumeNull() -> Bool {
        guard peek() == UInt8(ascii: "n"), index + 4 <= bytes.count,
            bytes[index + 1] == UInt8(ascii: "u"), bytes[index + 2] == UInt8(ascii: "l"),
            bytes[index + 3] == UInt8(ascii: "l")
        else { return false }
        index += 4
        return true
    }

    /// Reads an object, calling `member` with each key (as raw bytes) while the scanner
    /// stands at its value; `member` must consume the value.
    mutating func readObject(_ member: (inout JSONScanner, UnsafeRawBufferPointer) throws -> Void) throws {
        try expect(UInt8(ascii: "{"))
        if peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            let key = try readRawString()
            try expect(UInt8(ascii: ":"))
            try member(&self, key)
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return
            default: throw fail("expected \",\" or \"}\" in an object")
            }
        }
    }

    /// Reads an array, calling `element` while the scanner stands at each element.
    mutating func readArray(_ element: (inout JSONScanner) throws -> Void) throws {
        try expect(UInt8(ascii: "["))
        if peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            try element(&self)
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return
            default: throw fail("expected \",\" or \"]\" in an array")
            }
        }
    }

    /// The bytes between the quotes of a string, escapes left as they are.
    private mutating func readRawString() throws(Failure) -> UnsafeRawBufferPointer {
        try expect(UInt8(ascii: "\""))
        let start = index
        let base = bytes.baseAddress!
        var searchFrom = index
        // memchr finds each quote; a quote preceded by an odd run of backslashes is escaped.
        while searchFrom < bytes.count,
            let found = memchr(base + searchFrom, Int32(UInt8(ascii: "\"")), bytes.count - searchFrom)
        {
            let quote = base.distance(to: UnsafeRawPointer(found))
            var backslashes = 0
            while quote - backslashes - 1 >= start, bytes[quote - backslashes - 1] == UInt8(ascii: "\\") {
                backslashes += 1
            }
            if backslashes % 2 == 0 {
                index = quote + 1
                return UnsafeRawBufferPointer(rebasing: bytes[start..<quote])
            }
            searchFrom = quote + 1
        }
        index = bytes.count
        throw fail("unterminated string")
    }

    /// A string value, or `nil` for `null`.
    mutating func readString() throws -> String? {
        if consumeNull() { return nil }
        let raw = try readRawString()
        guard raw.isEmpty || memchr(raw.baseAddress!, Int32(UInt8(ascii: "\\")), raw.count) == nil else {
            return try Self.unescape(raw)
        }
        return String(decoding: raw, as: UTF8.self)
    }

    /// An integer value, or `nil` for `null`.
    mutating func readInt() throws -> Int? {
        if consumeNull() { return nil }
        skipWhitespace()
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        let start = index
        var value = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            let (product, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = product.addingReportingOverflow(Int(bytes[index] - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw fail("integer out of range") }
            value = sum
            index += 1
        }
        guard index > start else { throw fail("expected a number") }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] | 0x20 == UInt8(ascii: "e") {
            // A count with a fraction is not a count; skip the rest and keep the whole part.
            try skipNumberTail()
        }
        return negative ? -value : value
    }

    private mutating func skipNumberTail() throws(Failure) {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"),
                UInt8(ascii: "+"), UInt8(ascii: "-"):
                index += 1
            default: return
            }
        }
    }

    /// Skips any value.
    mutating func skipValue() throws {
        guard let next = peek() else { throw fail("unexpected end of input") }
        switch next {
        case UInt8(ascii: "{"): try readObject { scanner, _ in try scanner.skipValue() }
        case UInt8(ascii: "["): try readArray { try $0.skipValue() }
        case UInt8(ascii: "\""): _ = try readRawString()
        case UInt8(ascii: "t"): try skipLiteral("true")
        case UInt8(ascii: "f"): try skipLiteral("false")
        case UInt8(ascii: "n"): try skipLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            index += 1
            try skipNumberTail()
        default: throw fail("unexpected character")
        }
    }

    private mutating func skipLiteral(_ literal: StaticString) throws(Failure) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw fail("unexpected end of input") }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] {
            throw fail("unexpected character")
        }
        index += count
    }

    /// Decodes the escapes of a JSON string (the bytes between its quotes).
    ///
    /// Every escape is at least as long as what it stands for, so the text fits in a
    /// buffer of the raw length: a temporary one, on the stack for short strings.
    static func unescape(_ raw: UnsafeRawBufferPointer) throws(Failure) -> String {
        do {
            return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: raw.count) { output in
                let length = try unescape(raw, into: output)
                return String(decoding: UnsafeBufferPointer(rebasing: output[0..<length]), as: UTF8.self)
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(offset: 0, reason: "\(error)")
        }
    }

    private static func unescape(_ raw: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<UInt8>) throws(Failure)
        -> Int
    {
        var length = 0
        func append(_ byte: UInt8) {
            output[length] = byte
            length += 1
        }
        var index = 0
        func hex4(_ at: Int) throws(Failure) -> UInt32 {
            guard at + 4 <= raw.count else { throw Failure(offset: at, reason: "short \\u escape") }
            var value: UInt32 = 0
            for offset in 0..<4 {
                let byte = raw[at + offset]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw Failure(offset: at, reason: "bad \\u escape")
                }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
        while index < raw.count {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\") else {
                append(byte)
                index += 1
                continue
            }
            guard index + 1 < raw.count else { throw Failure(offset: index, reason: "dangling backslash") }
            let escaped = raw[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): append(escaped)
            case UInt8(ascii: "b"): append(0x08)
            case UInt8(ascii: "f"): append(0x0C)
            case UInt8(ascii: "n"): append(0x0A)
            case UInt8(ascii: "r"): append(0x0D)
            case UInt8(ascii: "t"): append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(index)
                index += 4
                if (0xD800..<0xDC00).contains(scalar), index + 6 <= raw.count, raw[index] == UInt8(ascii: "\\"),
                    raw[index + 1] == UInt8(ascii: "u")
                {
                    let low = try hex4(index + 2)
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                }
                // A lone surrogate cannot be UTF-8: it becomes U+FFFD, as lenient JSON readers do.
                // On purpose, unlike the Domain parser (which refuses a client's): one bad escape
                // in a provider's stream must not lose the whole answer (docs/PROTOCOL.md, "Frames").
                for unit in UTF8.encode(Unicode.Scalar(scalar) ?? "\u{FFFD}")! { append(unit) }
            default:
                throw Failure(offset: index - 1, reason: "bad escape")
            }
        }
        return length
    }
}
