import Logging

/// Masks secrets in log messages and metadata before they are written.
///
/// It replaces every occurrence of a known secret (the API key, the Redis password) with
/// `[redacted]`, and replaces the whole value of any metadata key that looks sensitive,
/// whatever the value is:
///
/// ```swift
/// let redactor = SecretRedactor(configuration: config)
/// redactor.redact("calling with sk-abc123")      // "calling with [redacted]"
/// redactor.redact(["api_key": "anything"])       // ["api_key": "[redacted]"]
/// ```
public struct SecretRedactor: Sendable, Equatable {
    /// The text that replaces a secret.
    public static let placeholder = "[redacted]"

    /// The shortest secret that is masked; shorter strings would mask ordinary words.
    public static let minimumSecretLength = 4

    /// The words that make a metadata key sensitive, matched anywhere in the key, in any case.
    public static let sensitiveKeyWords = ["key", "token", "secret", "password", "authorization"]

    /// The secrets masked, longest first so a secret that contains another is masked whole.
    public let secrets: [String]

    /// Creates a redactor for `secrets`; strings shorter than ``minimumSecretLength`` are ignored.
    public init(secrets: [String] = []) {
        let kept = Set(secrets.filter { $0.count >= Self.minimumSecretLength })
        self.secrets = kept.sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }

    /// Creates a redactor for the secrets of `configuration`: the API key, the password in
    /// the Redis URL and the model server URL, the callback secret, the WebSocket auth tokens and
    /// the admin token, when they are set.
    public init(configuration: StreamingConfiguration) {
        let candidates = [
            configuration.provider.apiKey,
            configuration.background.redisURL.flatMap(URLCredentials.password(in:)),
            configuration.provider.baseURL.flatMap(URLCredentials.password(in:)),
            configuration.background.callbackSecret,
            configuration.server.adminToken,
        ]
        self.init(secrets: candidates.compactMap { $0 } + configuration.websocket.authTokens.keys)
    }

    /// This redactor with `more` secrets added.
    public func adding(_ more: [String]) -> SecretRedactor {
        SecretRedactor(secrets: secrets + more)
    }

    /// Whether values under `key` are replaced whole: the key contains one of
    /// ``sensitiveKeyWords``, in any case (`api_key`, `Authorization`, `refreshToken`).
    public static func isSensitiveKey(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return sensitiveKeyWords.contains { lowered.contains($0) }
    }

    /// `text` with every occurrence of a secret replaced by ``placeholder``.
    public func redact(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacing(secret, with: Self.placeholder)
        }
        return result
    }

    /// `metadata` with the values of sensitive keys replaced whole and secrets masked in
    /// every other value, nested dictionaries and arrays included.
    public func redact(_ metadata: Logger.Metadata) -> Logger.Metadata {
        var result = Logger.Metadata(minimumCapacity: metadata.count)
        for (key, value) in metadata {
            result[redact(key)] = redact(value, key: key)
        }
        return result
    }

    /// `value` stored under `key`, redacted as a metadata dictionary is:
    /// replaced whole when `key` is sensitive, else with secrets masked.
    public func redact(_ value: Logger.MetadataValue, key: String) -> Logger.MetadataValue {
        if Self.isSensitiveKey(key) { return .string(Self.placeholder) }
        return redact(value)
    }

    private func redact(_ value: Logger.MetadataValue) -> Logger.MetadataValue {
        switch value {
        case .string(let text):
            return .string(redact(text))
        case .stringConvertible(let convertible):
            return .string(redact(convertible.description))
        case .dictionary(let nested):
            return .dictionary(redact(nested))
        case .array(let items):
            return .array(items.map(redact))
        }
    }
}
