import StreamingDomain

/// Re-chunks answer text into pieces of exactly `chunkSize` characters (the Ruby
/// gem's `chunk_size`), the last piece before any other event or the end being shorter.
///
/// Text is never held longer than `maxDelay`: once the oldest held character has waited that
/// long, the pipeline sends what is held as a shorter piece, so a slow model's answer still
/// reaches the client while it is being written. (The default pipeline does not re-chunk: it
/// only splits long text, see ``SplitProcessor``.)
///
/// Characters are Swift `Character`s (extended grapheme clusters), so a multi-byte
/// character, an emoji sequence or a CRLF is never split, and text is never lost or
/// reordered. The newest character is held back until more text arrives, because the
/// next delta may extend it (a combining accent, a skin-tone modifier).
public struct RechunkProcessor: StreamProcessor {
    public let chunkSize: Int
    /// The longest text is held before it goes out in a shorter piece.
    public let maxDelay: Duration
    private let clock: any Clock<Duration>
    private var held = HeldText()
    /// An upper bound of `held.text.count`, kept without counting on every delta:
    /// appending text can merge characters at the seam but never add more than it has.
    private var countBound = 0

    public init(chunkSize: Int, maxDelay: Duration = .milliseconds(250), clock: any Clock<Duration> = ContinuousClock()) {
        precondition(chunkSize > 0, "chunkSize must be positive")
        precondition(maxDelay > .zero, "maxDelay must be above zero")
        self.chunkSize = chunkSize
        self.maxDelay = maxDelay
        self.clock = clock
    }

    public var holdsEventsInTime: Bool { true }

    public var holdExpiry: HoldExpiry? { held.expiry }

    public mutating func process(_ event: StreamEvent, into output: inout StreamOutput) async throws {
        guard case .content(let text) = event.kind else {
            flush(into: &output)
            output.emit(event)
            return
        }
        held.text += text
        countBound += text.count
        if countBound > chunkSize {
            countBound = held.text.count
            while countBound > chunkSize {
                let end = held.text.index(held.text.startIndex, offsetBy: chunkSize)
                output.emit(.content(String(held.text[..<end])))
                held.text = String(held.text[end...])
                countBound -= chunkSize
            }
            // What is left arrived last: its wait starts now.
            held.resetWait()
        }
        if held.text.isEmpty {
            held.resetWait()
        } else if held.isDue {
            flush(into: &output)
        } else {
            held.startWaiting(maxDelay, on: clock)
        }
    }

    public mutating func expire(into output: inout StreamOutput) async throws {
        if held.isDue { flush(into: &output) }
    }

    public mutating func finish(into output: inout StreamOutput) async throws {
        flush(into: &output)
    }

    public mutating func handleError(_ error: any Error, into output: inout StreamOutput) async throws -> any Error {
        // Text that arrived before the failure still reaches the client.
        flush(into: &output)
        return error
    }

    private mutating func flush(into output: inout StreamOutput) {
        held.flush(into: &output)
        countBound = 0
    }
}
