import StreamingDomain

/// Merges the answer text that arrives within `interval` into one event, for fewer frames
/// at the cost of up to `interval` of latency (opt-in: `streaming.coalesce_interval`).
///
/// The window opens with the first text it holds and never stays open longer than `interval`:
/// the pipeline sends what is held when the window ends, whether or not more text arrives.
/// Held text also goes out at once when it reaches `maxBytes` UTF-8 bytes
/// (`streaming.buffer_size`), before any other event (a tool call, the end), and before an error.
public struct CoalesceProcessor: StreamProcessor {
    public let interval: Duration
    public let maxBytes: Int
    private let clock: any Clock<Duration>
    private var held = HeldText()

    public init(interval: Duration, maxBytes: Int = 8192, clock: any Clock<Duration> = ContinuousClock()) {
        precondition(interval > .zero, "interval must be above zero")
        precondition(maxBytes > 0, "maxBytes must be positive")
        self.interval = interval
        self.maxBytes = maxBytes
        self.clock = clock
    }

    public var holdsEventsInTime: Bool { true }

    public var holdExpiry: HoldExpiry? { held.expiry }

    public mutating func process(_ event: StreamEvent, into output: inout StreamOutput) async throws {
        guard case .content(let text) = event.kind else {
            held.flush(into: &output)
            output.emit(event)
            return
        }
        held.startWaiting(interval, on: clock)
        held.text += text
        if held.text.utf8.count >= maxBytes || held.isDue {
            held.flush(into: &output)
        }
    }

    public mutating func expire(into output: inout StreamOutput) async throws {
        held.flushIfDue(into: &output)
    }

    public mutating func finish(into output: inout StreamOutput) async throws {
        held.flush(into: &output)
    }

    public mutating func handleError(_ error: any Error, into output: inout StreamOutput) async throws -> any Error {
        held.flush(into: &output)
        return error
    }
}
