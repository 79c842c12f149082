import StreamingDomain
import StreamingOpenAI
import StreamingTestSupport
import Testing

/// What `make fuzz` found in the SSE parser and the Chat Completions scanner (Fuzz/SSEParser.swift,
/// Fuzz/ChunkScanner.swift), replayed.
@Suite("SSE and chunk scanner fuzz regressions")
struct ParserFuzzRegressionTests {
    /// The same bytes give the same events however they are split.
    @Test(arguments: FuzzCorpus.inputs("SSEParser"))
    func sseEventsDoNotDependOnTheSplit(_ input: FuzzCorpus.Input) {
        let bytes = input.bytes
        let whole = events([bytes[...]])
        for split in 0...bytes.count {
            #expect(events([bytes[..<split], bytes[split...]]) == whole, "split at \(split)")
        }
        #expect(events(bytes.map { [$0][...] }) == whole, "byte by byte")
    }

    /// Any bytes: deltas, or a StreamingError; never another error or a crash.
    @Test(arguments: FuzzCorpus.inputs("ChunkScanner"))
    func chunkScannerAnswersOrRefusesWithATypedError(_ input: FuzzCorpus.Input) {
        var deltas: [ModelDelta] = []
        do {
            _ = try input.bytes.withUnsafeBytes { try ChatCompletionChunkDecoder().decode($0, into: &deltas) }
        } catch {
            #expect(error is StreamingError, "\(error)")
        }
    }

    @Test func seedsAreThere() {
        #expect(!FuzzCorpus.inputs("SSEParser").isEmpty)
        #expect(!FuzzCorpus.inputs("ChunkScanner").isEmpty)
    }

    private func events(_ chunks: [ArraySlice<UInt8>]) -> [ServerSentEvent] {
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        for chunk in chunks { parser.feed(chunk) { events.append($0) } }
        return events
    }
}
