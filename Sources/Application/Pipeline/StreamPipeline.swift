import StreamingDomain

/// Composable processing between an agent run and a transport.
///
/// ```swift
/// let pipeline = StreamPipeline()
///     .split(maxSize: 1024)
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

    /// Re-chunks answer text into pieces of exactly `size` characters, holding text back until
    /// a piece is full, but never longer than `maxDelay` (see ``RechunkProcessor``).
    public func rechunked(
        size: Int,
        maxDelay: Duration = .milliseconds(250),
        clock: any Clock<Duration> = ContinuousClock()
    ) -> StreamPipeline {
        appending(RechunkProcessor(chunkSize: size, maxDelay: maxDelay, clock: clock))
    }

    /// Splits answer text longer than `maxSize` characters into pieces of at most `maxSize`;
    /// shorter text passes at once (see ``SplitProcessor``). Nothing is held back.
    public func split(maxSize: Int) -> StreamPipeline {
        appending(SplitProcessor(maxSize: maxSize))
    }

    /// Merges the answer text that arrives within `interval` into one event, never holding
    /// text longer than `interval` nor more than `maxBytes` (see ``CoalesceProcessor``).
    public func coalesced(
        within interval: Duration,
        maxBytes: Int = 8192,
        clock: any Clock<Duration> = ContinuousClock()
    ) -> StreamPipeline {
        appending(CoalesceProcessor(interval: interval, maxBytes: maxBytes, clock: clock))
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
        /// Whether a step may hold text for a bounded time: the upstream is then pulled by a pump.
        private let isTimed: Bool
        private var pump: UpstreamPump?
        /// Whether the pump has a timer armed for held text.
        private var timerArmed = false

        init(upstream: Upstream.AsyncIterator, processors: [any StreamProcessor]) {
            self.upstream = upstream
            self.processors = processors
            self.isTimed = processors.contains { $0.holdsEventsInTime }
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
                switch try await pull() {
                case .pulled(.event(let event)):
                    if processors.isEmpty {
                        seq += 1
                        return StreamEvent(seq: seq, kind: event.kind)
                    }
                    ready.append(event)
                    try await runSteps(.none)
                case .pulled(.end):
                    upstreamDone = true
                    try await runSteps(.finish)
                case .pulled(.failure(let error)):
                    upstreamDone = true
                    pendingError = try await failed(with: error)
                case .expired:
                    timerArmed = false
                    try await runSteps(.expire)
                case .cancelled:
                    pump?.cancel()
                    throw CancellationError()
                }
                armTimerIfHolding()
            }
        }

        /// The next upstream event, or word that held text fell due.
        private mutating func pull() async throws -> PumpSlot.Taken {
            guard isTimed else {
                do {
                    return .pulled(try await upstream.next().map(Pulled.event) ?? .end)
                } catch {
                    return .pulled(.failure(error))
                }
            }
            let pump = self.pump ?? UpstreamPump(upstream)
            self.pump = pump
            // The upstream runs on the pump's task: a cancelled consumer cancels it there.
            return await withTaskCancellationHandler {
                await pump.slot.take()
            } onCancel: {
                pump.cancel()
            }
        }

        private mutating func armTimerIfHolding() {
            guard isTimed, !timerArmed, let pump else { return }
            guard let expiry = processors.lazy.compactMap(\.holdExpiry).first else { return }
            timerArmed = true
            pump.arm(expiry)
        }

        private enum StepEnd { case none, finish, expire }

        /// Feeds `ready` through every step; at `finish` each step also flushes what it holds
        /// after its input, at `expire` what has fallen due.
        private mutating func runSteps(_ end: StepEnd) async throws {
            for index in processors.indices {
                scratch.events.removeAll(keepingCapacity: true)
                for event in ready {
                    try await processors[index].process(event, into: &scratch)
                }
                switch end {
                case .none: break
                case .finish: try await processors[index].finish(into: &scratch)
                case .expire: try await processors[index].expire(into: &scratch)
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
