import StreamingDomain

/// Splits answer text longer than `maxSize` characters into pieces of at most `maxSize`;
/// shorter text passes on at once, as it came. It never holds text back.
///
/// This is what `streaming.chunk_size` does in the default pipeline: a bound on the size of a
/// frame, not a size to wait for. Characters are Swift `Character`s, so a piece never ends
/// inside a multi-byte character or an emoji sequence.
public struct SplitProcessor: StreamProcessor {
    public let maxSize: Int

    public init(maxSize: Int) {
        precondition(maxSize > 0, "maxSize must be positive")
        self.maxSize = maxSize
    }

    public mutating func process(_ event: StreamEvent, into output: inout StreamOutput) async throws {
        // A character is at least one UTF-8 byte: text of at most `maxSize` bytes needs no count.
        guard case .content(let text) = event.kind, text.utf8.count > maxSize else {
            output.emit(event)
            return
        }
        var start = text.startIndex
        while start < text.endIndex {
            let end = text.index(start, offsetBy: maxSize, limitedBy: text.endIndex) ?? text.endIndex
            output.emit(.content(String(text[start..<end])))
            start = end
        }
    }
}
