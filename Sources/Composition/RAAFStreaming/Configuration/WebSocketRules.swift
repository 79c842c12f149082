import StreamingWebSocket
import StreamingDomain

/// What the WebSocket path, origins and tokens accept, shared by environment parsing and
/// validation so both say the same thing.
enum WebSocketRules {
    static let pathExpectation = "a path starting with / without spaces, ? or #, such as /ws"

    static let originsExpectation =
        "origins separated by commas, each http:// or https:// and a host with an optional port, "
        + "such as https://app.example.com"

    static let tokensExpectation = "token=identity pairs separated by commas"

    /// `text` when it is a usable upgrade path.
    static func path(_ text: String) -> String? {
        guard text.first == "/", !text.contains(where: { $0.isWhitespace || $0 == "?" || $0 == "#" }) else {
            return nil
        }
        return text
    }

    /// Whether `text` is an origin as browsers send it: `scheme://host[:port]`, nothing after.
    static func isOrigin(_ text: String) -> Bool {
        guard URLCredentials.hasScheme(text, in: ["http", "https"]),
            let separator = text.firstRange(of: "://")
        else { return false }
        let authority = text[separator.upperBound...]
        return !authority.isEmpty && !authority.contains(where: { $0.isWhitespace || "/?#@".contains($0) })
    }

    /// The origins of a comma-separated list, trimmed, empty entries skipped; `nil` if one
    /// is not an origin.
    static func origins(_ text: String) -> [String]? {
        var origins: [String] = []
        for entry in text.split(separator: ",") {
            let origin = entry.trimmedWhitespace()
            if origin.isEmpty { continue }
            guard isOrigin(origin) else { return nil }
            origins.append(origin)
        }
        return origins
    }

    /// Parses `token=identity,token2=identity2` (split at each pair's last `=`, so a token may
    /// end in base64 padding). Empty pairs are skipped.
    ///
    /// - Throws: ``StreamingError/configuration(variable:reason:)`` naming the pair by its
    ///   position, never showing a token.
    static func authTokens(_ text: String, variable: String) throws -> [String: String] {
        var tokens: [String: String] = [:]
        var position = 0
        for entry in text.split(separator: ",") {
            let pair = entry.trimmedWhitespace()
            if pair.isEmpty { continue }
            position += 1
            func fail(_ problem: String) -> StreamingError {
                .configuration(variable: variable, reason: "expected \(tokensExpectation); pair \(position) \(problem)")
            }
            guard let equals = pair.lastIndex(of: "=") else { throw fail("has no =") }
            let token = pair[..<equals].trimmedWhitespace()
            let identity = pair[pair.index(after: equals)...].trimmedWhitespace()
            guard !token.isEmpty else { throw fail("has no token") }
            guard !identity.isEmpty else { throw fail("has no identity") }
            guard tokens[token] == nil else { throw fail("repeats an earlier token") }
            tokens[token] = identity
        }
        return tokens
    }

    /// What is wrong with configured tokens, without showing any; `nil` when they are usable.
    static func tokenProblem(_ tokens: [String: String]) -> String? {
        if tokens.keys.contains(where: { $0.isEmpty || $0.contains(where: \.isWhitespace) }) {
            return "expected tokens without spaces, got an empty token or one with spaces"
        }
        if tokens.values.contains(where: { $0.allSatisfy(\.isWhitespace) }) {
            return "expected a non-empty identity for every token"
        }
        return nil
    }
}

extension StringProtocol {
    /// The text without leading and trailing whitespace.
    fileprivate func trimmedWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }),
            let last = lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(self[first...last])
    }
}

/// What `TRUSTED_PROXIES` accepts, shared by environment parsing and validation.
enum ProxyRules {
    static let expectation =
        "IP addresses or CIDR ranges separated by commas, such as 10.0.0.0/8, 127.0.0.1, ::1"

    /// The entries of a comma-separated list, trimmed, empty ones skipped; `nil` if one is
    /// not an address or range.
    static func entries(_ text: String) -> [String]? {
        var entries: [String] = []
        for entry in text.split(separator: ",") {
            let trimmed = entry.trimmedWhitespace()
            if trimmed.isEmpty { continue }
            guard AddressRange(trimmed) != nil else { return nil }
            entries.append(trimmed)
        }
        return entries
    }
}
