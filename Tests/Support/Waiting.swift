import Synchronization

/// Waits until `condition` holds, checking every millisecond, or throws ``TimedOut``
/// after `timeout`: tests wait on a condition with a deadline, never on a bare sleep.
public func waitUntil(
    timeout: Duration = .seconds(10),
    _ what: String,
    _ condition: @Sendable () async -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !(await condition()) {
        guard ContinuousClock.now < deadline else { throw TimedOut(what: what) }
        try await Task.sleep(for: .milliseconds(1))
    }
}

/// What ``waitUntil(timeout:_:_:)`` throws when the condition never held.
public struct TimedOut: Error, CustomStringConvertible {
    public var what: String
    public init(what: String) { self.what = what }
    public var description: String { "timed out waiting for \(what)" }
}

/// A flag one task sets and another reads.
public final class Flag: Sendable {
    private let value = Mutex(false)
    public init() {}
    public var isSet: Bool { value.withLock { $0 } }
    public func set() { value.withLock { $0 = true } }
}

/// A value several tasks read and change under a lock; a class, so closures can share it.
public final class Locked<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    public init(_ value: Value) { storage = Mutex(value) }
    public func withLock<Result: Sendable>(_ body: (inout sending Value) throws -> sending Result) rethrows -> Result {
        try storage.withLock(body)
    }
    public var value: Value { storage.withLock { $0 } }
}
