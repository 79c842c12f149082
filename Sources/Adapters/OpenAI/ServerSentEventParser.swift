#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An event of a `text/event-stream`, with its data as text.
public struct ServerSentEvent: Sendable, Hashable {
    /// The `event:` field; `message` when the event named none.
    public var type: String
    /// The `data:` lines joined with line feeds.
    public var data: String
    /// The last `id:` seen so far in the stream (it carries over to later events).
    public var id: String?
    /// The `retry:` field of this event, in milliseconds.
    public var retry: Int?

    public init(type: String = "message", data: String, id: String? = nil, retry: Int? = nil) {
        self.type = type
        self.data = data
        self.id = id
        self.retry = retry
    }
}

/// Parses a `text/event-stream` as the WHATWG HTML standard defines it, from bytes as
/// they arrive in network reads of any size.
///
/// Lines may end in LF, CRLF or CR, and a read may end anywhere: inside a line, between
/// the CR and LF of one line end, inside a multi-byte character. Several `data:` lines
/// make one event's data, joined by LF; one space after the colon is dropped; comment
/// lines (`:` first) and unknown fields are ignored; a leading byte-order mark is skipped;
/// an event still open when the stream ends is discarded, as the standard says.
///
/// The hot path copies a line only when it is split across reads, and hands each event's
/// data to the caller as bytes, so decoding it needs no intermediate string.
public struct ServerSentEventParser: Sendable {
    /// An event whose data is lent as bytes: `data` is valid only during the callback
    /// that receives the event, and must not be kept.
    public struct RawEvent {
        public let type: String
        public let id: String?
        public let retry: Int?
        public let data: UnsafeRawBufferPointer
    }

    private var partialLine: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var eventType: String?
    private var lastEventID: String?
    private var retry: Int?
    /// The previous read ended in CR: an LF at the start of the next one ends nothing.
    private var skipLeadingLF = false
    private var atStreamStart = true

    public init() {}

    /// Parses `bytes`, calling `onEvent` with each event completed by them.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, onEvent: (RawEvent) throws -> Void) rethrows {
        var start = 0
        let count = bytes.count
        if atStreamStart, count > 0 {
            if !skipByteOrderMark(bytes, &start) { return }
        }
        if skipLeadingLF, start < count {
            skipLeadingLF = false
            if bytes[start] == UInt8(ascii: "\n") { start += 1 }
        }
        guard start < count, let base = bytes.baseAddress else { return }
        // The next CR at or after the scan position, found once and reused: most streams
        // have none, and searching for it again on every line would be quadratic.
        var nextCR = Self.find(UInt8(ascii: "\r"), in: base, from: start, to: count)
        while start < count {
            if nextCR < start { nextCR = Self.find(UInt8(ascii: "\r"), in: base, from: start, to: count) }
            let nextLF = Self.find(UInt8(ascii: "\n"), in: base, from: start, to: min(nextCR, count))
            let end = min(nextLF, nextCR)
            guard end < count else { break }
            if partialLine.isEmpty {
                try processLine(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), onEvent: onEvent)
            } else {
                partialLine.append(contentsOf: bytes[start..<end])
                let line = partialLine
                partialLine.removeAll(keepingCapacity: true)
                try line.withUnsafeBytes { try processLine($0, onEvent: onEvent) }
            }
            var index = end + 1
            if end == nextCR {
                if index < count {
                    if bytes[index] == UInt8(ascii: "\n") { index += 1 }
                } else {
                    skipLeadingLF = true
                }
            }
            start = index
        }
        if start < count {
            partialLine.append(contentsOf: bytes[start..<count])
        }
    }

    /// The offset of the first `byte` in `base[from..<to]`, or `to` when there is none.
    @inline(__always)
    private static func find(_ byte: UInt8, in base: UnsafeRawPointer, from: Int, to: Int) -> Int {
        guard from < to, let found = memchr(base + from, Int32(byte), to - from) else { return to }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// Parses `bytes`, calling `onEvent` with each completed event as text.
    public mutating func feed(_ bytes: some Sequence<UInt8>, onEvent: (ServerSentEvent) throws -> Void) rethrows {
        let array = Array(bytes)
        try array.withUnsafeBytes { buffer in
            try feed(buffer) { event in
                try onEvent(
                    ServerSentEvent(
                        type: event.type,
                        data: String(decoding: event.data, as: UTF8.self),
                        id: event.id,
                        retry: event.retry
                    )
                )
            }
        }
    }

    /// Parses a whole stream at once; handy for tests and recorded transcripts.
    public static func events(in text: String) -> [ServerSentEvent] {
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        parser.feed(Array(text.utf8)) { events.append($0) }
        return events
    }

    /// Skips a UTF-8 byte-order mark at the very start; returns `false` when the read
    /// ended inside it (the rest comes with the next read).
    private mutating func skipByteOrderMark(_ bytes: UnsafeRawBufferPointer, _ start: inout Int) -> Bool {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        var matched = 0
        while matched < partialLine.count, matched < 3, partialLine[matched] == bom[matched] { matched += 1 }
        var index = 0
        while matched + index < 3, index < bytes.count, bytes[index] == bom[matched + index] { index += 1 }
        if matched + index == 3 {
            partialLine.removeAll()
            start = index
            atStreamStart = false
            return true
        }
        if index == bytes.count, matched + index < 3 {
            // Still a prefix of the mark: keep it until the next read decides.
            partialLine.append(contentsOf: bytes)
            return false
        }
        // No mark: whatever was held back is ordinary text.
        atStreamStart = false
        return true
    }

    private mutating func processLine(
        _ line: UnsafeRawBufferPointer,
        onEvent: (RawEvent) throws -> Void
    ) rethrows {
        guard let first = line.first else {
            try dispatch(onEvent)
            return
        }
        if first == UInt8(ascii: ":") { return }
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.count
        let name = UnsafeRawBufferPointer(rebasing: line[0..<colon])
        var valueStart = Swift.min(colon + 1, line.count)
        if valueStart < line.count, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let value = UnsafeRawBufferPointer(rebasing: line[valueStart..<line.count])
        if name.equals("data") {
            if hasData { data.append(UInt8(ascii: "\n")) }
            data.append(contentsOf: value)
            hasData = true
        } else if name.equals("event") {
            eventType = String(decoding: value, as: UTF8.self)
        } else if name.equals("id") {
            if !value.contains(0) { lastEventID = String(decoding: value, as: UTF8.self) }
        } else if name.equals("retry") {
            if !value.isEmpty, value.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
                retry = Int(String(decoding: value, as: UTF8.self))
            }
        }
    }

    private mutating func dispatch(_ onEvent: (RawEvent) throws -> Void) rethrows {
        defer {
            data.removeAll(keepingCapacity: true)
            hasData = false
            eventType = nil
            retry = nil
        }
        guard hasData else { return }
        let type = eventType ?? "message"
        try data.withUnsafeBytes { bytes in
            try onEvent(RawEvent(type: type, id: lastEventID, retry: retry, data: bytes))
        }
    }
}
