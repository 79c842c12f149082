import Logging

/// The allowed range of an integer setting, shared by environment parsing and validation
/// so both say the same thing about what a setting accepts.
struct IntegerRule: Sendable {
    let minimum: Int
    let maximum: Int?

    static let port = IntegerRule(minimum: 1, maximum: 65535)
    static let positive = IntegerRule(minimum: 1, maximum: nil)
    static let nonNegative = IntegerRule(minimum: 0, maximum: nil)
    /// A pause in milliseconds, up to a minute: `RAAF_SIMULATION_DELAY_MS`.
    static let delayMilliseconds = IntegerRule(minimum: 0, maximum: 60_000)

    /// What the setting accepts: "an integer from 1 to 65535", "an integer of at least 1".
    var expectation: String {
        if let maximum { "an integer from \(minimum) to \(maximum)" } else { "an integer of at least \(minimum)" }
    }

    func accepts(_ value: Int) -> Bool {
        value >= minimum && (maximum.map { value <= $0 } ?? true)
    }
}

/// The allowed range of a duration setting.
enum DurationRule: Sendable {
    /// Greater than zero: timeouts and intervals.
    case positive
    /// Zero or more: delays.
    case nonNegative

    var expectation: String {
        switch self {
        case .positive: "a duration greater than zero"
        case .nonNegative: "a duration of zero or more"
        }
    }

    func accepts(_ value: Duration) -> Bool {
        switch self {
        case .positive: value > .zero
        case .nonNegative: value >= .zero
        }
    }
}

/// Parsers for environment values: each returns `nil` when the text is not acceptable.
enum EnvironmentValue {
    /// The longest timeout accepted from the environment, in seconds (about 31 years).
    static let maximumSeconds = 1_000_000_000

    static let timeoutExpectation =
        "a number of seconds greater than 0 and at most \(maximumSeconds), such as 60 or 2.5"

    static let logLevelExpectation =
        "one of " + Logger.Level.allCases.map(\.rawValue).joined(separator: ", ") + " (in any case)"

    static let logFormatExpectation = "text or json"

    static func integer(_ text: String, _ rule: IntegerRule) -> Int? {
        guard let value = Int(text), rule.accepts(value) else { return nil }
        return value
    }

    /// Seconds written as digits with an optional decimal fraction (`60`, `2.5`), converted
    /// exactly to nanosecond precision; only a value greater than zero is accepted.
    static func positiveSeconds(_ text: String) -> Duration? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isASCIIDigit) else { return nil }
        var fraction = parts.count == 2 ? parts[1] : ""
        if parts.count == 2 {
            guard !fraction.isEmpty, fraction.allSatisfy(\.isASCIIDigit) else { return nil }
        }
        guard whole.count <= 10, let seconds = Int(whole), seconds <= maximumSeconds else { return nil }
        fraction = fraction.prefix(9)
        let nanoseconds = Int(fraction + String(repeating: "0", count: 9 - fraction.count)) ?? 0
        let duration = Duration.seconds(seconds) + .nanoseconds(nanoseconds)
        guard duration > .zero, duration <= .seconds(maximumSeconds) else { return nil }
        return duration
    }

    static let graceExpectation =
        "a number of seconds from 0 to \(maximumSeconds), such as 30 or 2.5"

    /// Seconds as ``positiveSeconds(_:)`` reads them, or zero (`0`, `0.0`).
    static func nonNegativeSeconds(_ text: String) -> Duration? {
        let zero = !text.isEmpty && text.first != "." && text.last != "."
            && text.allSatisfy { $0 == "0" || $0 == "." } && text.filter { $0 == "." }.count <= 1
        return zero ? .zero : positiveSeconds(text)
    }

    static func logLevel(_ text: String) -> Logger.Level? {
        Logger.Level(rawValue: text.lowercased())
    }

    static func logFormat(_ text: String) -> LogFormat? {
        LogFormat(rawValue: text.lowercased())
    }

    /// The value in quotes for an error message, cut to 64 characters.
    static func quoted(_ text: String) -> String {
        text.count > 64 ? "\"\(text.prefix(64))…\"" : "\"\(text)\""
    }

    /// How an unacceptable URL is shown in an error: only its scheme, so neither a password
    /// nor a secret pasted into the wrong variable is ever echoed.
    static func describeURL(_ text: String) -> String {
        if let scheme = URLCredentials.scheme(of: text) {
            "a URL with scheme \"\(scheme)\""
        } else {
            "a value that is not a URL"
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
