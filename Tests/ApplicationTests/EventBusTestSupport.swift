import Logging
import Synchronization
import Testing

@testable import StreamingApplication

/// Collects values from handlers running on any thread.
final class EventBusRecorder<Value: Sendable>: Sendable {
    private let storage = Mutex<[Value]>([])

    func append(_ value: Value) {
        storage.withLock { $0.append(value) }
    }

    var values: [Value] { storage.withLock { $0 } }
    var count: Int { storage.withLock { $0.count } }
}

/// A log handler that keeps every entry, to check what the bus logs.
struct EventBusCapturingLogHandler: LogHandler {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    let entries = EventBusRecorder<Entry>()
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    func log(event: LogEvent) {
        entries.append(Entry(level: event.level, message: event.message.description, metadata: event.metadata ?? [:]))
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
}
