/// Finds and masks the credentials in a URL's user information (`scheme://user:password@host`),
/// so a Redis or model-server URL can be shown in descriptions and errors without its password.
enum URLCredentials {
    /// The text that replaces a secret.
    static let mask = "[redacted]"

    /// The scheme of `url` (the text before `://`), lower-cased, or `nil` when there is none.
    static func scheme(of url: String) -> String? {
        guard let separator = url.firstRange(of: "://") else { return nil }
        let scheme = url[..<separator.lowerBound]
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) else {
            return nil
        }
        return scheme.lowercased()
    }

    /// Whether `url` starts with one of `schemes` (compared without case) followed by `://`
    /// and at least one more character.
    static func hasScheme(_ url: String, in schemes: [String]) -> Bool {
        guard let scheme = scheme(of: url), schemes.contains(scheme) else { return false }
        return url.count > scheme.count + 3
    }

    /// The password of `url`: the user information after its first `:` (`redis://:secret@host`,
    /// `redis://user:secret@host`), or `nil` when there is none.
    static func password(in url: String) -> String? {
        guard let userInfo = userInfoRange(in: url) else { return nil }
        let info = url[userInfo]
        guard let colon = info.firstIndex(of: ":") else { return nil }
        let password = info[info.index(after: colon)...]
        return password.isEmpty ? nil : String(password)
    }

    /// `url` with its password replaced by `[redacted]`: `redis://user:[redacted]@host:6379/0`.
    /// A URL without a password is returned unchanged.
    static func masked(_ url: String) -> String {
        guard let userInfo = userInfoRange(in: url) else { return url }
        let info = url[userInfo]
        guard let colon = info.firstIndex(of: ":"), info.index(after: colon) != info.endIndex else { return url }
        var result = url
        result.replaceSubrange(info.index(after: colon)..<userInfo.upperBound, with: mask)
        return result
    }

    /// The range of the user information: between `://` and the last `@` of the authority.
    private static func userInfoRange(in url: String) -> Range<String.Index>? {
        guard let separator = url.firstRange(of: "://") else { return nil }
        let authorityStart = separator.upperBound
        let authorityEnd = url[authorityStart...].firstIndex(where: { "/?#".contains($0) }) ?? url.endIndex
        guard let at = url[authorityStart..<authorityEnd].lastIndex(of: "@") else { return nil }
        return authorityStart..<at
    }
}
