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
    static func forNodes(_ values: [String]) -> [Substring] {
        var nodes: [Substring] = []
        for value in values {
            for element in split(value[...], at: ",") {
                var node: Substring = "unknown"
                for pair in split(element, at: ";") {
                    guard let equals = pair.firstIndex(of: "=") else { continue }
                    if trimmed(pair[..<equals]).lowercased() == "for" {
                        node = unquoted(trimmed(pair[pair.index(after: equals)...]))
                    }
                }
                nodes.append(node)
            }
        }
        return Array(nodes.suffix(maximumHops))
    }

    /// The entries of `X-Forwarded-For` header values, in order: `203.0.113.7, 10.0.0.2`.
    static func forwardedFor(_ values: [String]) -> [Substring] {
        let entries = values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false).map(trimmed) }
        return Array(entries.suffix(maximumHops))
    }

    /// The address a node names: `192.0.2.60`, `192.0.2.60:8080`, `[2001:db8::17]`,
    /// `[2001:db8::17]:4711` or a bare `2001:db8::17`; `nil` for `unknown`, an obfuscated
    /// identifier (`_hidden`) or anything else.
    static func address(ofNode node: Substring) -> IPAddress? {
        if node.first == "[" {
            guard let close = node.firstIndex(of: "]") else { return nil }
            let rest = node[node.index(after: close)...]
            guard rest.isEmpty || (rest.first == ":" && rest.count > 1 && rest.dropFirst().allSatisfy(\.isNumber))
            else { return nil }
            return IPAddress(node[node.index(after: node.startIndex)..<close])
        }
        let colons = node.count { $0 == ":" }
        if colons == 1, let colon = node.firstIndex(of: ":") {
            // IPv4 with a port.
            let port = node[node.index(after: colon)...]
            guard !port.isEmpty, port.allSatisfy(\.isNumber) else { return nil }
            return IPAddress(node[..<colon])
        }
        return IPAddress(node)
    }

    /// `text` split at `separator` outside double quotes; a backslash escapes the next character inside them.
    private static func split(_ text: Substring, at separator: Character) -> [Substring] {
        var parts: [Substring] = []
        var start = text.startIndex
        var index = text.startIndex
        var quoted = false
        while index < text.endIndex {
            let character = text[index]
            if quoted, character == "\\" {
                index = text.index(after: index)
                if index == text.endIndex { break }
            } else if character == "\"" {
                quoted.toggle()
            } else if !quoted, character == separator {
                parts.append(text[start..<index])
                start = text.index(after: index)
            }
            index = text.index(after: index)
        }
        parts.append(text[start...])
        return parts
    }

    /// A quoted-string's content with its escapes resolved; other text as it is.
    private static func unquoted(_ text: Substring) -> Substring {
        guard text.count >= 2, text.first == "\"", text.last == "\"" else { return text }
        var result = ""
        var escaped = false
        for character in text.dropFirst().dropLast() {
            if escaped || character != "\\" {
                result.append(character)
                escaped = false
            } else {
                escaped = true
            }
        }
        return result[...]
    }

    private static func trimmed(_ text: Substring) -> Substring {
        guard let first = text.firstIndex(where: { $0 != " " && $0 != "\t" }),
            let last = text.lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return text[first...last]
    }
}
