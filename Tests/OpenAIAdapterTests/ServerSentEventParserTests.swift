import StreamingOpenAI
import StreamingTestSupport
import Testing

@Suite("Server-Sent Events parser")
struct ServerSentEventParserTests {
    /// Feeds `bytes` in the pieces that `cuts` marks and returns the events.
    static func parse(_ bytes: [UInt8], cuts: [Int]) -> [ServerSentEvent] {
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        var start = 0
        for cut in cuts.sorted() + [bytes.count] where cut >= start {
            parser.feed(bytes[start..<cut]) { events.append($0) }
            start = cut
        }
        return events
    }

    /// Checks that every way of cutting the stream gives `expected`: byte by byte, every
    /// single cut, and random cuts.
    static func expectEverySplit(_ text: String, _ expected: [ServerSentEvent], sourceLocation: SourceLocation = #_sourceLocation) {
        let bytes = Array(text.utf8)
        #expect(parse(bytes, cuts: []) == expected, "whole", sourceLocation: sourceLocation)
        #expect(parse(bytes, cuts: Array(0...bytes.count)) == expected, "byte by byte", sourceLocation: sourceLocation)
        for cut in 0...bytes.count {
            #expect(parse(bytes, cuts: [cut]) == expected, "cut at \(cut)", sourceLocation: sourceLocation)
        }
        var random = SplitMix64(seed: 0x5EED)
        for _ in 0..<50 {
            let cuts = (0..<Int.random(in: 1...8, using: &random)).map { _ in Int.random(in: 0...bytes.count, using: &random) }
            #expect(parse(bytes, cuts: cuts) == expected, "cuts \(cuts)", sourceLocation: sourceLocation)
        }
    }

    @Test("LF, CRLF and CR line ends, split anywhere")
    func lineEnds() {
        let expected = [ServerSentEvent(data: "one"), ServerSentEvent(data: "two"), ServerSentEvent(data: "three")]
        Self.expectEverySplit("data: one\n\ndata: two\r\n\r\ndata: three\r\r", expected)
    }

    @Test("several data lines make one event joined by LF; one space after the colon is dropped")
    func multilineData() {
        Self.expectEverySplit(
            "data:first\ndata: second\ndata:  third\ndata\n\n",
            [ServerSentEvent(data: "first\nsecond\n third\n")]
        )
    }

    @Test("comments, keep-alives and unknown fields are ignored")
    func comments() {
        Self.expectEverySplit(
            ": keep-alive\n\n:\ndata: x\nfoo: bar\n: another comment\n\n",
            [ServerSentEvent(data: "x")]
        )
    }

    @Test("event, id and retry fields; the id carries over; an event without data is not dispatched")
    func fields() {
        Self.expectEverySplit(
            "event: update\nid: 7\nretry: 1500\ndata: a\n\nevent: ignored\n\ndata: b\n\nid\ndata: c\n\n",
            [
                ServerSentEvent(type: "update", data: "a", id: "7", retry: 1500),
                ServerSentEvent(data: "b", id: "7"),
                ServerSentEvent(data: "c", id: ""),
            ]
        )
    }

    @Test("a multi-byte character split across reads arrives whole")
    func multibyte() {
        Self.expectEverySplit("data: héllo wörld — 🙂 漢字\n\n", [ServerSentEvent(data: "héllo wörld — 🙂 漢字")])
    }

    @Test("a leading byte-order mark is skipped, even when split")
    func byteOrderMark() {
        Self.expectEverySplit("\u{FEFF}data: x\n\n", [ServerSentEvent(data: "x")])
    }

    @Test("an event still open at the end of the stream is discarded")
    func unterminated() {
        Self.expectEverySplit("data: complete\n\ndata: partial", [ServerSentEvent(data: "complete")])
    }

    @Test("an empty data line dispatches an event with empty data")
    func emptyData() {
        Self.expectEverySplit("data:\n\n", [ServerSentEvent(data: "")])
    }
}
