import Foundation
import Logging
import StreamingDomain

/// One log event, ready to be written: its metadata merged and everything redacted.
struct LogRecord {
    /// Field names the JSON line uses itself; metadata under these keys is written as `meta.<key>`.
    static let reservedFields: Set<String> = ["ts", "level", "label", "message", "error", "source"]

    let timestamp: String
    let level: Logger.Level
    let label: String
    let message: String
    /// Handler metadata, then provider metadata, then the call's metadata; later keys win.
    let metadata: Logger.Metadata
    let error: String?
    let source: String

    init(
        event: LogEvent,
        label: String,
        handlerMetadata: Logger.Metadata,
        metadataProvider: Logger.MetadataProvider?,
        redactor: SecretRedactor,
        date: Date
    ) {
        var merged = handlerMetadata
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, new in new }
        }
        if let callMetadata = event.metadata, !callMetadata.isEmpty {
            merged.merge(callMetadata) { _, new in new }
        }
        timestamp = ISO8601Timestamp.string(from: date)
        level = event.level
        self.label = label
        message = redactor.redact(event.message.description)
        metadata = redactor.redact(merged)
        error = event.error.map { redactor.redact(String(describing: $0)) }
        source = event.source
    }
}

extension Logger.MetadataValue {
    /// The value as JSON: strings as strings, dictionaries as objects, arrays as arrays.
    var jsonValue: JSONValue {
        switch self {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .dictionary(let nested): .object(nested.mapValues(\.jsonValue))
        case .array(let items): .array(items.map(\.jsonValue))
        }
    }
}
