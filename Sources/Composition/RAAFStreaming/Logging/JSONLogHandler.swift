import Foundation
import Logging
import StreamingDomain

/// A log handler that writes one JSON object per line, for log collectors:
///
/// ```json
/// {"ts":"2026-11-21T10:00:00.123Z","level":"info","label":"raaf.events","message":"emitted","topic":"user.created"}
/// ```
///
/// After `ts`, `level`, `label` and `message` come the metadata fields in key order (handler
/// metadata, then the metadata provider's, then the call's; nested values as JSON objects and
/// arrays), then `error` when the event carries one, then `source`. Metadata whose key is one of
/// those field names is written as `meta.<key>`. Secrets are masked by the ``SecretRedactor``.
public struct JSONLogHandler: LogHandler {
    /// The logger's label, written as `label`.
    public let label: String
    /// The lowest level written.
    public var logLevel: Logger.Level
    /// Metadata written with every line of this handler.
    public var metadata: Logger.Metadata
    /// Supplies contextual metadata (for example from task locals) for each line.
    public var metadataProvider: Logger.MetadataProvider?
    /// Masks secrets in the message, metadata and error.
    public var redactor: SecretRedactor
    /// Whether the `source` field (the module that logged) is written.
    public var includeSource: Bool
    private let sink: LogSink
    private let now: @Sendable () -> Date

    /// Creates a handler for `label`.
    ///
    /// - Parameters:
    ///   - sink: Receives each line without its newline; standard error by default.
    ///   - now: The clock of the `ts` field; tests pass a fixed date.
    public init(
        label: String,
        logLevel: Logger.Level = .info,
        metadata: Logger.Metadata = [:],
        metadataProvider: Logger.MetadataProvider? = nil,
        redactor: SecretRedactor = SecretRedactor(),
        includeSource: Bool = true,
        sink: @escaping LogSink = StreamingLogging.standardError,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.label = label
        self.logLevel = logLevel
        self.metadata = metadata
        self.metadataProvider = metadataProvider
        self.redactor = redactor
        self.includeSource = includeSource
        self.sink = sink
        self.now = now
    }

    /// Gets or sets one metadata value of this handler.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes `event` as one JSON line.
    public func log(event: LogEvent) {
        let record = LogRecord(
            event: event,
            label: label,
            handlerMetadata: metadata,
            metadataProvider: metadataProvider,
            redactor: redactor,
            date: now()
        )
        sink(Self.render(record, includeSource: includeSource))
    }

    static func render(_ record: LogRecord, includeSource: Bool) -> String {
        var writer = JSONWriter(capacity: 192)
        writer.beginObject()
        writer.field("ts", record.timestamp)
        writer.field("level", record.level.rawValue)
        writer.field("label", record.label)
        writer.field("message", record.message)
        for key in record.metadata.keys.sorted() {
            writer.key(LogRecord.reservedFields.contains(key) ? "meta." + key : key)
            writer.value(record.metadata[key]!.jsonValue)
        }
        if let error = record.error { writer.field("error", error) }
        if includeSource { writer.field("source", record.source) }
        writer.endObject()
        return writer.output
    }
}
