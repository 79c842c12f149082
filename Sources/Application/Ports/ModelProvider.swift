import StreamingDomain

/// The port to a language model: one request in, a stream of deltas out.
///
/// A provider streams one model turn. The runner pulls deltas as it needs them, so a
/// provider never runs ahead of its consumer; when the consuming task is cancelled, or
/// the consumer stops iterating and drops the stream, the provider must stop its
/// upstream work (close the HTTP request, stop a timer).
public protocol ModelProvider: Sendable {
    /// Starts one model turn for `request`.
    ///
    /// Errors before the first delta (an unreachable server, a rejected request) are
    /// thrown here; errors during the turn are thrown by the stream.
    func stream(_ request: ModelRequest) async throws -> ModelResponseStream

    /// Releases what the provider holds (an HTTP client, a connection pool); the default
    /// does nothing. Call it once, when no stream is running.
    func shutdown() async throws

    /// The provider's request figures (in flight, waiting, time to first token), or `nil`
    /// for a provider that does not count them; the default is `nil`.
    var requestStats: ModelRequestStats? { get }
}

/// The deltas of one model turn, as an `AsyncSequence` that is iterated once.
///
/// It erases the provider's own sequence type so that the runner can hold any provider;
/// the cost is one dynamic call per delta.
public struct ModelResponseStream: AsyncSequence {
    public typealias Element = ModelDelta
    public typealias Failure = any Error

    private let iterator: AsyncIterator

    /// Wraps any sequence of deltas.
    public init<Base: AsyncSequence>(_ base: Base) where Base.Element == ModelDelta {
        iterator = AsyncIterator(base: base.makeAsyncIterator())
    }

    /// A stream that yields `deltas` in order, then ends.
    public init(deltas: [ModelDelta]) {
        self.init(ArrayDeltaSequence(deltas: deltas))
    }

    public func makeAsyncIterator() -> AsyncIterator { iterator }

    public struct AsyncIterator: AsyncIteratorProtocol {
        private let box: any DeltaIterating

        init<Base: AsyncIteratorProtocol>(base: Base) where Base.Element == ModelDelta {
            box = DeltaIteratorBox(base)
        }

        public mutating func next() async throws -> ModelDelta? {
            try await box.next()
        }
    }
}

/// Type erasure for a delta iterator without a cast per element.
private protocol DeltaIterating: AnyObject {
    func next() async throws -> ModelDelta?
}

/// Holds the provider's iterator. The stream is iterated by one task at a time, like
/// any `AsyncIterator`, so the box is not shared across tasks.
private final class DeltaIteratorBox<Base: AsyncIteratorProtocol>: DeltaIterating where Base.Element == ModelDelta {
    private var base: Base

    init(_ base: Base) {
        self.base = base
    }

    func next() async throws -> ModelDelta? {
        try await base.next()
    }
}

/// Deltas from an array, without a task or a lock: the offline model's fast path.
struct ArrayDeltaSequence: AsyncSequence, Sendable {
    typealias Element = ModelDelta
    let deltas: [ModelDelta]

    func makeAsyncIterator() -> Iterator { Iterator(deltas: deltas) }

    struct Iterator: AsyncIteratorProtocol {
        let deltas: [ModelDelta]
        var index = 0

        mutating func next() async -> ModelDelta? {
            guard index < deltas.count else { return nil }
            defer { index += 1 }
            return deltas[index]
        }
    }
}

extension ModelProvider {
    public func shutdown() async throws {}

    public var requestStats: ModelRequestStats? { nil }
}
