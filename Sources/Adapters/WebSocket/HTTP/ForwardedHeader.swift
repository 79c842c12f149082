/// Reads the hops of `Forwarded` (RFC 7239) and `X-Forwarded-For`, for ``TrustedProxies``.
///
/// A small hand-written parser: it never fails, it returns what it could read. Input comes
/// from the network, so it has a fuzz target beside the other parsers.
enum ForwardedHeader {
    /// The most hops read from one request; a longer chain keeps its last (nearest) ones.
    static let maximumHops = 64

    /// The `for=` values of `Forwarded` header values, in order, quotes removed:
    /// `for=192.0.2.60;proto=http, for="[2001:db8::17]:4711"` gives `192.0.2.60` and
    /// `[2001:db8::17]:4711`. An element without `for` counts as a hop of unknown address.
    ///
    /// The delimiters are ASCII bytes, read on the UTF-8, never on `Character`s: a `,` that
    /// follows a prepended or combining scalar (`U+0600,`) is one `Character` that is not `,`, and
    /// a client could otherwise hide the hop a proxy appends behind it (fuzz target
    /// Fuzz/ForwardedHeader.swift).
    static func forNodes(_ values: [String]) -> [Substring] {
        var nodes: [Substring] = []
        for value in values {
            for element in split(value[...], at: Byte.comma) {
                var node: Substring = "unknown"
                for pair in split(element, at: Byte.semicolon) {
                    guard let equals = pair.utf8.firstIndex(of: Byte.equals) else { continue }
                    if isFor(trimmed(pair[..<equals])) {
                        node = unquoted(trimmed(pair[pair.utf8.index(after: equals)...]))
                    }
                }
                nodes.append(node)
            }
        }
        return Array(nodes.suffix(maximumHops))
    }

    /// The entries of `X-Forwarded-For` header values, in order: `203.0.113.7, 10.0.0.2`.
    static func forwardedFor(_ values: [String]) -> [Substring] {
        let entries = values.flatMap { value in
            value.utf8.split(separator: Byte.comma, omittingEmptySubsequences: false).map { trimmed(value[$0.startIndex..<$0.endIndex]) }
        }
        return Array(entries.suffix(maximumHops))
    }

    /// The address a node names: `192.0.2.60`, `192.0.2.60:8080`, `[2001:db8::17]`,
    /// `[2001:db8::17]:4711` or a bare `2001:db8::17` (a port is ASCII digits); `nil` for
    /// `unknown`, an obfuscated identifier (`_hidden`) or anything else.
    static func address(ofNode node: Substring) -> IPAddress? {
        let bytes = node.utf8
        if bytes.first == Byte.openBracket {
            guard let close = bytes.firstIndex(of: Byte.closeBracket) else { return nil }
            let rest = bytes[bytes.index(after: close)...]
            guard rest.isEmpty || (rest.first == Byte.colon && isPort(rest.dropFirst())) else { return nil }
            return IPAddress(node[bytes.index(after: bytes.startIndex)..<close])
        }
        let colons = bytes.count { $0 == Byte.colon }
        if colons == 1, let colon = bytes.firstIndex(of: Byte.colon) {
            // IPv4 with a port.
            guard isPort(bytes[bytes.index(after: colon)...]) else { return nil }
            return IPAddress(node[..<colon])
        }
        return IPAddress(node)
    }

    private enum Byte {
        static let comma = UInt8(ascii: ","), semicolon = UInt8(ascii: ";"), equals = UInt8(ascii: "=")
        static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), colon = UInt8(ascii: ":")
        static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")
        static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
    }

    private static func isPort(_ bytes: Substring.UTF8View.SubSequence) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// Whether a parameter name is `for`, in any ASCII case.
    private static func isFor(_ name: Substring) -> Bool {
        name.utf8.count == 3 && name.utf8.map { $0 | 0x20 }.elementsEqual("for".utf8)
    }

    /// `text` split at `separator` outside double quotes; a backslash escapes the next byte inside them.
    /// Every index it cuts at is that of an ASCII byte, so on a `Unicode.Scalar` boundary.
    private static func split(_ text: Substring, at separator: UInt8) -> [Substring] {
        let bytes = text.utf8
        var parts: [Substring] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        var quoted = false
        while index < bytes.endIndex {
            let byte = bytes[index]
            if quoted, byte == Byte.backslash {
                index = bytes.index(after: index)
                if index == bytes.endIndex { break }
            } else if byte == Byte.quote {
                quoted.toggle()
            } else if !quoted, byte == separator {
                parts.append(text[start..<index])
                start = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        parts.append(text[start...])
        return parts
    }

    /// A quoted-string's content with its escapes resolved; other text as it is.
    private static func unquoted(_ text: Substring) -> Substring {
        let bytes = text.utf8
        guard bytes.count >= 2, bytes.first == Byte.quote, bytes.last == Byte.quote else { return text }
        var result: [UInt8] = []
        var escaped = false
        for byte in bytes.dropFirst().dropLast() {
            if escaped || byte != Byte.backslash {
                result.append(byte)
                escaped = false
            } else {
                escaped = true
            }
        }
        // Only ASCII backslashes were removed: still valid UTF-8.
        return String(decoding: result, as: UTF8.self)[...]
    }

    /// Without leading and trailing spaces and tabs.
    private static func trimmed(_ text: Substring) -> Substring {
        let bytes = text.utf8
        let blank: (UInt8) -> Bool = { $0 == Byte.space || $0 == Byte.tab }
        guard let first = bytes.firstIndex(where: { !blank($0) }), let last = bytes.lastIndex(where: { !blank($0) })
        else { return "" }
        return text[first..<bytes.index(after: last)]
    }
}
