/// A listener topic containing `*` wildcards, compiled once at registration so that
/// matching an emitted topic costs a few byte comparisons.
///
/// Each `*` matches a run of one or more characters, dots included: `user.*` matches
/// `user.login` and `user.profile.update` but not `user` or `users.x`. The pattern `*`
/// alone matches every topic, the empty one too.
struct TopicPattern: Sendable {
    /// The pattern as written.
    let source: String
    /// The literal pieces between the stars as UTF-8, stored back to back in one array so
    /// matching touches a single buffer; `bounds[i]..<bounds[i + 1]` is piece `i`. There is
    /// one more piece than there are stars. Comparing bytes is safe: a literal piece starts
    /// and ends on a character boundary, so a star between two matched pieces always spans
    /// whole characters.
    private let bytes: [UInt8]
    private let bounds: [Int]
    /// The shortest topic that can match: every literal byte plus one byte per star.
    private let minimumLength: Int
    private let matchesEverything: Bool

    init(_ source: String) {
        self.source = source
        let star = UInt8(ascii: "*")
        var bounds = [0]
        var bytes: [UInt8] = []
        for byte in source.utf8 {
            if byte == star { bounds.append(bytes.count) } else { bytes.append(byte) }
        }
        bounds.append(bytes.count)
        self.bytes = bytes
        self.bounds = bounds
        self.minimumLength = bytes.count + bounds.count - 2
        self.matchesEverything = source == "*"
    }

    /// Whether `topic` contains a wildcard, so must be matched as a pattern.
    static func isPattern(_ topic: String) -> Bool {
        topic.utf8.contains(UInt8(ascii: "*"))
    }

    /// Whether `topic` matches this pattern.
    func matches(_ topic: String) -> Bool {
        Self.withUTF8(of: topic) { matches(utf8: $0) }
    }

    /// Runs `body` on the UTF-8 bytes of `topic`, so several patterns can share one access.
    static func withUTF8<Result>(of topic: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        var topic = topic
        // Native strings are already contiguous UTF-8: no copy; only bridged ones are copied.
        return topic.withUTF8(body)
    }

    /// Whether the topic whose UTF-8 bytes are `topic` matches this pattern.
    ///
    /// Leftmost-first matching: each piece is placed at its earliest possible position,
    /// which leaves the most room for the pieces after it, so no backtracking is needed.
    func matches(utf8 topic: UnsafeBufferPointer<UInt8>) -> Bool {
        if matchesEverything { return true }
        guard topic.count >= minimumLength else { return false }
        // Without a star the pattern is a plain topic (callers route these to exact lookups).
        if bounds.count == 2 { return topic.count == bytes.count && topic.elementsEqual(bytes) }
        return bytes.withUnsafeBufferPointer { literal in
            bounds.withUnsafeBufferPointer { bounds in
                let last = bounds.count - 2
                // The first piece is anchored at the start.
                let firstLength = bounds[1]
                guard Self.equal(topic, at: 0, literal, bounds[0], firstLength) else { return false }
                var position = firstLength
                var piece = 1
                while piece < last {
                    let start = bounds[piece]
                    let length = bounds[piece + 1] - start
                    // The star before this piece takes at least one byte.
                    var offset = position + 1
                    while true {
                        guard offset + length <= topic.count else { return false }
                        if Self.equal(topic, at: offset, literal, start, length) { break }
                        offset += 1
                    }
                    position = offset + length
                    piece += 1
                }
                // The last piece is anchored at the end, after at least one byte for its star.
                let suffixLength = bounds[last + 1] - bounds[last]
                let suffixStart = topic.count - suffixLength
                return suffixStart >= position + 1
                    && Self.equal(topic, at: suffixStart, literal, bounds[last], suffixLength)
            }
        }
    }

    private static func equal(
        _ topic: UnsafeBufferPointer<UInt8>,
        at offset: Int,
        _ literal: UnsafeBufferPointer<UInt8>,
        _ start: Int,
        _ length: Int
    ) -> Bool {
        var index = 0
        while index < length {
            if topic[offset + index] != literal[start + index] { return false }
            index += 1
        }
        return true
    }
}
