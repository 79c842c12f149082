import StreamingDomain

/// Passes on only the events for which `isIncluded` is true.
public struct FilterProcessor: StreamProcessor {
    private let isIncluded: @Sendable (StreamEvent) -> Bool

    public init(_ isIncluded: @escaping @Sendable (StreamEvent) -> Bool) {
        self.isIncluded = isIncluded
    }

    public mutating func process(_ event: StreamEvent, into output: inout StreamOutput) async throws {
        if isIncluded(event) { output.emit(event) }
    }
}

/// Replaces each event with `transform(event)`, for example to redact text.
public struct MapProcessor: StreamProcessor {
    private let transform: @Sendable (StreamEvent) -> StreamEvent

    public init(_ transform: @escaping @Sendable (StreamEvent) -> StreamEvent) {
        self.transform = transform
    }

    public mutating func process(_ event: StreamEvent, into output: inout StreamOutput) async throws {
        output.emit(transform(event))
    }
}
