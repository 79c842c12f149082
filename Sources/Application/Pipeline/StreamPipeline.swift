import StreamingDomain

/// Composable processing between an agent run and a transport.
///
/// ```swift
/// let pipeline = StreamPipeline()
///     .rechunked(size: 64)
///     .filter { event in event.content != "" }
///     .paced(by: .milliseconds(20))
/// for try await event in pipeline.apply(to: runner.stream(agent, "Hi")) { ... }
/// ```
/// Steps run in the order they were added. The events that come out are numbered
/// again from 1 without gaps, whatever the steps dropped or split.
public struct StreamPipeline: Sendable {
    public private(set) var processors: [any StreamProcessor]

    public init(_ processors: [any StreamProcessor] = []) {
        self.processors = processors
    }

    /// Adds a step.
    public func appending(_ processor: some StreamProcessor) -> StreamPipeline {
        StreamPipeline(processors + [processor])
    }

    /// Re-chunks answer text into pieces of `size` characters.
    public func rechunked(size: Int) -> StreamPipeline {
        appending(RechunkProcessor(chunkSize: size))
    }

    /// Spaces answer chunks `delay` apart on `clock`.
    public func paced(by delay: Duration, clock: any Clock<Duration> = ContinuousClock()) -> StreamPipeline {
        appending(PacingProcessor(delay: delay, clock: clock))
    }

    /// Keeps only the events for which `isIncluded` is true.
    public func filter(_ isIncluded: @escaping @Sendable (StreamEvent) -> Bool) -> StreamPipeline {
        appending(FilterProcessor(isIncluded))
    }

    /// Transforms every event.
    public func map(_ transform: @escaping @Sendable (StreamEvent) -> StreamEvent) -> StreamPipeline {
        appending(MapProcessor(transform))
    }

    /// The events of `upstream` after every step.
    public func apply<Upstream: AsyncSequence>(to upstream: Upstream) -> ProcessedStream<Upstream>
    where Upstream.Element == StreamEvent {
        ProcessedStream(upstream: upstream, processors: processors)
    }
}

/// The output of a ``StreamPipeline`` over an upstream sequence of events.
public struct ProcessedStream<Upstream: AsyncSequence>: AsyncSequence where Upstream.Element == StreamEvent {
    public typealias Element = StreamEvent
    public typealias Failure = any Error

    let upstream: Upstream
    let processors: [any StreamProcessor]

    public func makeAsyncIterator() -> Iterator {
        Iterator(upstream: upstream.makeAsyncIterator(), processors: processors)
    }

    public struct Iterator: AsyncIteratorProtocol {
        private var upstream: Upstream.AsyncIterator
        private var processors: [any StreamProcessor]
        private var ready: [StreamEvent] = []
        private var readyIndex = 0
        private var scratch = StreamOutput()
        private var seq = 0
        private var upstreamDone = false
        private var pendingError: (any Error)?

        init(upstream: Upstream.AsyncIterator, processors: [any StreamProcessor]) {
            self.upstream = upstream
            self.processors = processors
        }

        public mutating func next() async throws -> StreamEvent? {
            while true {
                if readyIndex < ready.count {
                    var event = ready[readyIndex]
                    readyIndex += 1
                    seq += 1
                    event.seq = seq
                    return event
                }
                if let error = pendingError {
                    pendingError = nil
                    throw error
                }
                guard !upstreamDone else { return nil }
                ready.removeAll(keepingCapacity: true)
                readyIndex = 0
                let event: StreamEvent?
                do {
                    event = try await upstream.next()
                } catch {
                    upstreamDone = true
                    pendingError = try await failed(with: error)
                    continue
                }
                if let event {
                    if processors.isEmpty {
                        seq += 1
                        return StreamEvent(seq: seq, kind: event.kind)
                    }
                    ready.append(event)
                    try await runSteps(from: 0, finishing: false)
                } else {
                    upstreamDone = true
                    try await runSteps(from: 0, finishing: true)
                }
            }
        }

        /// Feeds `ready` through the steps from `first` on; when `finishing`, each step
        /// also flushes what it holds after its input.
        private mutating func runSteps(from first: Int, finishing: Bool) async throws {
            for index in first..<processors.count {
                scratch.events.removeAll(keepingCapacity: true)
                for event in ready {
                    try await processors[index].process(event, into: &scratch)
                }
                if finishing {
                    try await processors[index].finish(into: &scratch)
                }
                swap(&ready, &scratch.events)
            }
        }

        /// Lets each step react to an upstream failure (a re-chunker flushes its text);
        /// returns the error to throw once the events that came out are delivered.
        private mutating func failed(with error: any Error) async throws -> any Error {
            var error = error
            for index in processors.indices {
                scratch.events.removeAll(keepingCapacity: true)
                for event in ready {
                    try await processors[index].process(event, into: &scratch)
                }
                error = try await processors[index].handleError(error, into: &scratch)
                swap(&ready, &scratch.events)
            }
            return error
        }
    }
}
