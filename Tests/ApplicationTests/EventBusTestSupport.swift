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

