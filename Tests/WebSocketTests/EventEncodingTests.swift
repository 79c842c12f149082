import NIOCore
import StreamingApplication
import Testing

@testable import StreamingWebSocket

/// The `text/event-stream` encoding of frames, checked with the tests' own parser.
@Suite("Server-Sent Event encoding")
struct EventEncodingTests {
    func parsed(_ buffer: ByteBuffer) -> [ServerSentEvent] {
        var parser = EventStreamParser()
        return parser.feed(buffer.readableBytesView)
    }

    @Test("a frame is id, event and one data line, ended by a blank line")
    func oneFrame() {
        let frame = StreamFrame(seq: 7, type: "response_chunk", frame: OutboundFrame(text: #"{"type":"response_chunk","seq":7}"#))
        let buffer = ServerSentEvents.event(frame)
        #expect(String(buffer: buffer) == "id: 7\nevent: response_chunk\ndata: {\"type\":\"response_chunk\",\"seq\":7}\n\n")
    }

    @Test("a payload with line breaks becomes several data lines that a reader joins back")
    func lineBreaks() {
        let frame = StreamFrame(seq: 1, type: "x", frame: OutboundFrame(text: "a\nb\r\nc\rd"))
        let buffer = ServerSentEvents.event(frame)
        #expect(String(buffer: buffer) == "id: 1\nevent: x\ndata: a\ndata: b\ndata: c\ndata: d\n\n")
        #expect(parsed(buffer) == [ServerSentEvent(id: "1", event: "x", data: "a\nb\nc\nd")])
    }

    @Test("a failure is an error event without an id")
    func failure() throws {
        let buffer = ServerSentEvents.failure(ProtocolFailure(.notFound, "gone", streamID: "s"))
        let events = parsed(buffer)
        #expect(events.count == 1)
        #expect(events.first?.id == nil)
        #expect(events.first?.event == "error")
        #expect(try events.first?.json()["code"] as? String == "not_found")
    }
}
