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
    private var held = ""
    private var deadline: HoldDeadline?

    public init(interval: Duration, maxBytes: Int = 8192, clock: any Clock<Duration> = ContinuousClock()) {
        precondition(interval > .zero, "interval must be above zero")
        precondition(maxBytes > 0, "maxBytes must be positive")
        self.interval = interval
        self.maxBytes = maxBytes
        self.clock = clock
    }

    public var holdsEventsInTime: Bool { true }

    public var holdExpiry: HoldExpiry? { deadline?.expiry }

    public mutating func process(_ event: StreamEvent, into output: inout StreamOutput) async throws {
        guard case .content(let text) = event.kind else {
            flush(into: &output)
            output.emit(event)
            return
        }
        if deadline == nil {
            deadline = .after(interval, on: clock)
        }
        held += text
        if held.utf8.count >= maxBytes || deadline?.isDue() == true {
            flush(into: &output)
        }
    }

    public mutating func expire(into output: inout StreamOutput) async throws {
        if deadline?.isDue() == true { flush(into: &output) }
    }

    public mutating func finish(into output: inout StreamOutput) async throws {
        flush(into: &output)
    }

    public mutating func handleError(_ error: any Error, into output: inout StreamOutput) async throws -> any Error {
        flush(into: &output)
        return error
    }

    private mutating func flush(into output: inout StreamOutput) {
        deadline = nil
        guard !held.isEmpty else { return }
        output.emit(.content(held))
        held = ""
    }
}
