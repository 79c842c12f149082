import Hummingbird
import NIOCore
import StreamingApplication
import StreamingDomain

/// Writes an agent stream as Server-Sent Events (the `text/event-stream` format of the
/// HTML standard), one event per frame:
///
/// ```
/// id: 3
/// event: response_chunk
/// data: {"type":"response_chunk","id":"s-…","seq":3,"content":"Hello"}
///
/// ```
///
/// `id` is the frame's `seq`, so a browser `EventSource` that reconnects sends it back as
/// `Last-Event-ID` and resumes right after it.
enum ServerSentEvents {
    /// Encodes one frame as an event.
    static func event(_ frame: StreamFrame) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(frame.frame.bytes.count + frame.type.utf8.count + 32)
        buffer.writeString("id: \(frame.seq)\nevent: \(frame.type)\n")
        writeData(frame.frame.bytes, to: &buffer)
        buffer.writeString("\n")
        return buffer
    }

    /// An `error` event without an `id`: the stream cannot go on (its frames were forgotten).
    static func failure(_ failure: ProtocolFailure) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString("event: error\n")
        writeData(ServerFrame.error(failure).bytes, to: &buffer)
        buffer.writeString("\n")
        return buffer
    }

    /// Writes `payload` as `data:` lines. Frames are compact JSON, which escapes line breaks,
    /// so this is one line; a payload holding CR or LF anyway is split into one `data:` line
    /// per line, which a reader joins back with LF.
    static func writeData(_ payload: [UInt8], to buffer: inout ByteBuffer) {
        var start = 0
        var index = 0
        while index < payload.count {
            let byte = payload[index]
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                writeLine(payload[start..<index], to: &buffer)
                if byte == UInt8(ascii: "\r"), index + 1 < payload.count, payload[index + 1] == UInt8(ascii: "\n") {
                    index += 1
                }
                start = index + 1
            }
            index += 1
        }
        writeLine(payload[start...], to: &buffer)
    }

    private static func writeLine(_ line: ArraySlice<UInt8>, to buffer: inout ByteBuffer) {
        buffer.writeString("data: ")
        buffer.writeBytes(line)
        buffer.writeString("\n")
    }

    /// The comment written while a response has nothing else to say: every SSE client
    /// ignores it, every proxy counts it as traffic.
    static let keepAliveComment = ByteBuffer(string: ": keep-alive\n\n")

    /// The first bytes of every event-stream response: `retry: MILLISECONDS` (how long an
    /// `EventSource` waits before it reconnects), or an empty comment. Written at once, so
    /// the status and headers reach the client before the first frame.
    static func preamble(retry: Duration?) -> ByteBuffer {
        guard let retry else { return ByteBuffer(string: ":\n\n") }
        return ByteBuffer(string: "retry: \(max(0, retry.milliseconds))\n\n")
    }

    /// A response body that writes every frame after `seq` as it comes, flushing each,
    /// and ends after the stream's `complete` or `error` frame.
    ///
    /// It starts with ``preamble(retry:)``, and whenever nothing was written for `keepAlive`
    /// (a model that thinks) it writes ``keepAliveComment``, so that a proxy or load balancer
    /// with an idle timeout keeps the response open.
    ///
    /// The run does not depend on the reader: when the client goes away this body ends, and
    /// the stream keeps running for whoever resumes it. With the request's `channel`, it ends
    /// as soon as the connection closes; without, at the first write after that.
    static func body(
        _ stream: AgentStream, after seq: Int, channel: (any Channel)?, keepAlive: Duration?, retry: Duration?
    ) -> ResponseBody {
        ResponseBody { writer in
            let gone = if let channel { await ClientGoneWatcher.signal(of: channel) } else { OneWaySignal?.none }
            let silence = SilenceWatch(interval: keepAlive)
            try await withThrowingTaskGroup(of: Void.self) { group in
                // A reader parked for the next frame wakes up when its client goes.
                if let gone {
                    group.addTask {
                        await gone.wait()
                        if gone.isSet {
                            silence.interrupt()
                            stream.wakeReaders()
                        }
                    }
                }
                if keepAlive != nil {
                    group.addTask { await silence.run(waking: stream) }
                }
                defer { group.cancelAll() }
                try await writer.write(preamble(retry: retry))
                silence.wrote()
                var cursor = seq
                reading: while true {
                    // Taken before the check of `gone`: its watcher interrupts the current silence.
                    let silent = silence.signal
                    if gone?.isSet == true { break }
                    do {
                        for try await frame in stream.frames(after: cursor, until: silent) {
                            try await writer.write(event(frame))
                            silence.wrote()
                            cursor = frame.seq
                        }
                    } catch let error as StreamingError {
                        // The replay buffer dropped frames this reader still needed: say so and end.
                        try await writer.write(failure(ProtocolFailure(.notFound, error.description, streamID: stream.id)))
                        break reading
                    }
                    // Frames end at the stream's end, or early when the response fell silent
                    // (then a keep-alive, and on) or its client went.
                    guard silent.isSet, gone?.isSet != true else { break }
                    try await writer.write(keepAliveComment)
                    silence.rearm()
                }
                // The client went away: end the exchange (Hummingbird closes the connection).
                if gone?.isSet == true { throw ClientGone() }
                try await writer.finish(nil)
            }
        }
    }

    /// Ends a response whose client has gone.
    struct ClientGone: Error {}
}
