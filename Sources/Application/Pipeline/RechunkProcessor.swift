import StreamingDomain

/// Re-chunks answer text into pieces of exactly `chunkSize` characters (the Ruby
/// gem's `chunk_size`), the last piece before any other event or the end being shorter.
///
/// Characters are Swift `Character`s (extended grapheme clusters), so a multi-byte
/// character, an emoji sequence or a CRLF is never split, and text is never lost or
/// reordered. The newest character is held back until more text arrives, because the
/// next delta may extend it (a combining accent, a skin-tone modifier).
public struct RechunkProcessor: StreamProcessor {
    public let chunkSize: Int
    private var buffer = ""
    /// An upper bound of `buffer.count`, kept without counting on every delta:
    /// appending text can merge characters at the seam but never add more than it has.
    private var countBound = 0

    public init(chunkSize: Int) {
        precondition(chunkSize > 0, "chunkSize must be positive")
        self.chunkSize = chunkSize
    }

    public mutating func process(_ event: StreamEvent, into output: inout StreamOutput) async throws {
        guard case .content(let text) = event.kind else {
            flush(into: &output)
            output.emit(event)
            return
        }
        buffer += text
        countBound += text.count
        guard countBound > chunkSize else { return }
        countBound = buffer.count
        while countBound > chunkSize {
            let end = buffer.index(buffer.startIndex, offsetBy: chunkSize)
            output.emit(.content(String(buffer[..<end])))
            buffer = String(buffer[end...])
            countBound -= chunkSize
        }
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
        guard !buffer.isEmpty else { return }
        output.emit(.content(buffer))
        buffer = ""
        countBound = 0
    }
}
