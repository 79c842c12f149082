import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Synchronization
import Testing

@Suite("StreamPipeline")
struct StreamPipelineTests {
    /// Characters that stress re-chunking: multi-byte scalars, combining marks, emoji
    /// sequences, CRLF and plain newlines.
    static let alphabet: [String] = [
        "a", "b", "Z", " ", "\n", "\r\n", "é", "e\u{301}", "\u{301}", "ß", "漢", "字", "🙂", "👍🏽", "👨‍👩‍👧",
        "🇫🇷", "\t", "\"", "\\", "ю", "ع",
    ]

    @Test("re-chunking random Unicode loses, adds and reorders nothing", arguments: [1, 2, 3, 7, 16, 64])
    func rechunkRoundTrip(chunkSize: Int) async throws {
        var random = SplitMix64(seed: UInt64(chunkSize) * 7919)
        for _ in 0..<40 {
            let pieces = (0..<Int.random(in: 0...60, using: &random)).map { _ in
                (0..<Int.random(in: 0...5, using: &random)).map { _ in Self.alphabet.randomElement(using: &random)! }
                    .joined()
            }
            let text = pieces.joined()
            let upstream = pieces.enumerated().map { StreamEvent(seq: $0.offset + 1, kind: .content($0.element)) }
            let output = try await collect(StreamPipeline().rechunked(size: chunkSize, clock: ManualClock()).apply(to: upstream.async))

            let chunks = output.compactMap(\.content)
            #expect(chunks.joined() == text)
            #expect(output.map(\.seq) == Array(1..<(output.count + 1)))
            // Every piece but the last has exactly chunkSize characters in the whole text.
            var whole = Substring(text)
            for (index, chunk) in chunks.enumerated() {
                #expect(!chunk.isEmpty)
                #expect(whole.hasPrefix(chunk))
                let characters = whole.prefix(chunk.count)
                #expect(String(characters) == chunk, "chunk \(index) does not end on a character boundary")
                if index < chunks.count - 1 { #expect(chunk.count == chunkSize) } else { #expect(chunk.count <= chunkSize) }
                whole = whole.dropFirst(chunk.count)
            }
        }
    }

    @Test("other events flush the text held back and keep their place")
    func flushOnOtherEvents() async throws {
        let call = ToolCall(id: "c", name: "t", arguments: "{}")
        let upstream: [StreamEvent] = [
            .init(seq: 1, kind: .content("abcde")),
            .init(seq: 2, kind: .toolCall(call, agent: "a")),
            .init(seq: 3, kind: .content("fg")),
        ]
        let output = try await collect(StreamPipeline().rechunked(size: 2, clock: ManualClock()).apply(to: upstream.async))
        #expect(output.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(output.map { Chunk($0).type } == [.content, .content, .content, .toolCall, .content])
        #expect(output.compactMap(\.content) == ["ab", "cd", "e", "fg"])
    }

    @Test("pacing spaces content events by the delay on the injected clock")
    func pacing() async throws {
        let clock = ManualClock()
        let upstream = ["a", "b", "c"].enumerated().map { StreamEvent(seq: $0.offset + 1, kind: .content($0.element)) }
        let received = Mutex<[String]>([])
        let consumer = Task {
            for try await event in StreamPipeline().paced(by: .seconds(1), clock: clock).apply(to: upstream.async) {
                received.withLock { $0.append(event.content!) }
            }
        }
        try await clock.waitForSleepers(1)
        #expect(received.withLock { $0 } == ["a"])
        clock.advance(by: .milliseconds(999))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .milliseconds(1))
        try await clock.waitForSleepers(1)
        #expect(received.withLock { $0 } == ["a", "b"])
        clock.advance(by: .seconds(1))
        try await consumer.value
        #expect(received.withLock { $0 } == ["a", "b", "c"])
    }

    @Test("filter and map steps run in order and the output is numbered again")
    func filterAndMap() async throws {
        let upstream = ["keep", "drop", "keep too"].enumerated().map {
            StreamEvent(seq: $0.offset + 1, kind: .content($0.element))
        }
        let pipeline = StreamPipeline()
            .filter { $0.content != "drop" }
            .map { StreamEvent(seq: $0.seq, kind: .content($0.content!.uppercased())) }
        let output = try await collect(pipeline.apply(to: upstream.async))
        #expect(output.compactMap(\.content) == ["KEEP", "KEEP TOO"])
        #expect(output.map(\.seq) == [1, 2])
    }

    @Test("a custom processor can split, hold back and add events")
    func customProcessor() async throws {
        struct WordSplitter: StreamProcessor {
            var words = 0
            mutating func process(_ event: StreamEvent, into output: inout StreamOutput) async throws {
                guard case .content(let text) = event.kind else { return output.emit(event) }
                for word in text.split(separator: " ") {
                    words += 1
                    output.emit(.content(String(word)))
                }
            }
            mutating func finish(into output: inout StreamOutput) async throws {
                output.emit(.content("[\(words) words]"))
            }
        }
        let upstream = [StreamEvent(seq: 1, kind: .content("one two three"))]
        let output = try await collect(StreamPipeline().appending(WordSplitter()).apply(to: upstream.async))
        #expect(output.compactMap(\.content) == ["one", "two", "three", "[3 words]"])
    }

    @Test("an upstream failure delivers the text held back, then the error")
    func upstreamFailure() async throws {
        let upstream = AsyncThrowingStream<StreamEvent, any Error> { continuation in
            continuation.yield(StreamEvent(seq: 1, kind: .content("abc")))
            continuation.finish(throwing: StreamingError.connection("dropped"))
        }
        var received: [String] = []
        await #expect(throws: StreamingError.connection("dropped")) {
            for try await event in StreamPipeline().rechunked(size: 10, clock: ManualClock()).apply(to: upstream) {
                received.append(event.content ?? "")
            }
        }
        #expect(received == ["abc"])
    }

    @Test("a run through the pipeline keeps the answer text exactly")
    func runThroughPipeline() async throws {
        let runner = AgentRunner(provider: ScriptedModelProvider())
        let output = try await collect(StreamPipeline().rechunked(size: 5, clock: ManualClock()).apply(to: runner.stream(Agent(name: "a"), "héllo\nthere")))
        let result = try #require(Chunk(output.last!).result)
        #expect(output.compactMap(\.content).joined() == result.finalOutput)
        #expect(output.dropLast().allSatisfy { $0.content!.count <= 5 })
    }
}

extension Array where Element == StreamEvent {
    /// The events as an async sequence.
    var async: AsyncStream<StreamEvent> {
        AsyncStream { continuation in
            for event in self { continuation.yield(event) }
            continuation.finish()
        }
    }
}
