import StreamingDomain

/// One step between an agent run and a transport: it sees every event of a stream in
/// order and passes on zero, one or several events.
///
/// Conform to it to write your own step (the Ruby gem's `StreamProcessor` subclass):
/// ```swift
/// struct Shout: StreamProcessor {
///     mutating func process(_ event: StreamEvent, into output: inout StreamOutput) async throws {
///         if case .content(let text) = event.kind {
///             output.emit(.content(text.uppercased()))
///         } else {
///             output.emit(event)
///         }
///     }
/// }
/// ```
/// A processor is a value: each stream works on its own copy, so per-stream state
/// (a buffer, a counter) lives in stored properties.
public protocol StreamProcessor: Sendable {
    /// Handles one event, appending what should follow to `output`.
    mutating func process(_ event: StreamEvent, into output: inout StreamOutput) async throws

    /// Called once after the last event, to pass on anything still held back.
    mutating func finish(into output: inout StreamOutput) async throws

    /// Called when the upstream fails; the default passes the error on unchanged.
    mutating func handleError(_ error: any Error, into output: inout StreamOutput) async throws -> any Error

    /// Whether this step may hold events back for a bounded time (see ``holdExpiry``).
    ///
    /// A pipeline with such a step pulls its upstream on a task of its own, so it can wait for
    /// the next event *or* the moment held events are due. The default is `false`: the pipeline
    /// then pulls the upstream directly, with no task and no lock in between.
    var holdsEventsInTime: Bool { get }

    /// When the step holds events back, the wait that ends when they are due; `nil` (the
    /// default) when it holds nothing. Read after every event the step handled.
    var holdExpiry: HoldExpiry? { get }

    /// Called once a ``holdExpiry`` has ended: passes on what is due. A step must check its own
    /// clock: the call may come for another step's expiry, and then it passes on nothing.
    mutating func expire(into output: inout StreamOutput) async throws
}

extension StreamProcessor {
    public mutating func finish(into output: inout StreamOutput) async throws {}

    public mutating func handleError(_ error: any Error, into output: inout StreamOutput) async throws -> any Error {
        error
    }

    public var holdsEventsInTime: Bool { false }

    public var holdExpiry: HoldExpiry? { nil }

    public mutating func expire(into output: inout StreamOutput) async throws {}
}

/// The moment a step's held events are due, as a wait on the step's own clock.
public struct HoldExpiry: Sendable {
    let wait: @Sendable () async throws -> Void

    /// Ends at `deadline` on `clock`.
    public init<C: Clock>(at deadline: C.Instant, on clock: C) where C.Duration == Duration {
        wait = { try await clock.sleep(until: deadline, tolerance: nil) }
    }
}

/// The events a processor passes on. Sequence numbers are assigned after the last
/// step, so a processor only says what comes out, not how it is numbered.
public struct StreamOutput: Sendable {
    var events: [StreamEvent] = []

    public init() {}

    /// Passes on an event (its `seq` is renumbered by the pipeline).
    public mutating func emit(_ event: StreamEvent) {
        events.append(event)
    }

    /// Passes on a new event of `kind`.
    public mutating func emit(_ kind: StreamEvent.Kind) {
        events.append(StreamEvent(seq: 0, kind: kind))
    }
}
