import Foundation
import Logging
import StreamingDomain

/// A log handler that writes one readable line per event:
///
/// ```text
/// 2026-11-21T10:00:00.123Z info raaf.events: emitted topic=user.created
/// ```
///
/// The timestamp is UTC with milliseconds. Metadata follows as `key=value` in key order
/// (handler metadata, then the metadata provider's, then the call's); a value with spaces,
/// quotes, `=` or control characters is written as a JSON string, and a nested value as JSON.
/// An event's error is written last as `error="..."`. Line breaks in the message are written
/// as `\n`, so each event stays on one line. Secrets are masked by the ``SecretRedactor``.
public struct TextLogHandler: LogHandler {
    /// The logger's label, written before the message.
    public let label: String
    /// The lowest level written.
    public var logLevel: Logger.Level
    /// Metadata written with every line of this handler.
    public var metadata: Logger.Metadata
    /// Supplies contextual metadata (for example from task locals) for each line.
    public var metadataProvider: Logger.MetadataProvider?
    /// Masks secrets in the message, metadata and error.
    public var redactor: SecretRedactor
    private let sink: LogSink
    private let now: @Sendable () -> Date

    /// Creates a handler for `label`.
    ///
    /// - Parameters:
    ///   - sink: Receives each line without its newline; standard error by default.
    ///   - now: The clock of the timestamp; tests pass a fixed date.
    public init(
        label: String,
        logLevel: Logger.Level = .info,
        metadata: Logger.Metadata = [:],
        metadataProvider: Logger.MetadataProvider? = nil,
        redactor: SecretRedactor = SecretRedactor(),
        sink: @escaping LogSink = StreamingLogging.standardError,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.label = label
        self.logLevel = logLevel
        self.metadata = metadata
        self.metadataProvider = metadataProvider
        self.redactor = redactor
        self.sink = sink
        self.now = now
    }

    /// Gets or sets one metadata value of this handler.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes `event` as one text line.
    public func log(event: LogEvent) {
        let record = LogRecord(
            event: event,
            label: label,
            handlerMetadata: metadata,
            metadataProvider: metadataProvider,
            redactor: redactor,
            date: now()
        )
        sink(Self.render(record))
    }

    static func render(_ record: LogRecord) -> String {
        var line = record.timestamp + " " + record.level.rawValue + " " + record.label + ": "
        line += singleLine(record.message)
        for key in record.metadata.keys.sorted() {
            line += " " + singleLine(key) + "=" + text(of: record.metadata[key]!)
        }
        if let error = record.error { line += " error=" + quoted(error) }
        return line
    }

    private static func text(of value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text): needsQuotes(text) ? quoted(text) : text
        case .stringConvertible(let convertible):
            needsQuotes(convertible.description) ? quoted(convertible.description) : convertible.description
        case .dictionary, .array: value.jsonValue.jsonString
        }
    }

    private static func needsQuotes(_ text: String) -> Bool {
        text.isEmpty
            || text.unicodeScalars.contains { $0.value < 0x21 || $0 == "\"" || $0 == "=" || $0 == "\u{7F}" }
            || text.contains(where: \.isWhitespace)
    }

    private static func quoted(_ text: String) -> String {
        var writer = JSONWriter(capacity: text.utf8.count + 2)
        writer.string(text)
        return writer.output
    }

    private static func singleLine(_ text: String) -> String {
        guard text.contains(where: { $0.isNewline }) else { return text }
        var result = ""
        for character in text {
            switch character {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\r\n": result += "\\r\\n"
            default: result += character.isNewline ? " " : String(character)
            }
        }
        return result
    }
}
