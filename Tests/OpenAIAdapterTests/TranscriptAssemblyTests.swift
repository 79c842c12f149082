import StreamingApplication
import StreamingDomain
import StreamingOpenAI
import StreamingTestSupport
import Testing

/// Recorded-style transcripts, parsed in every split and assembled into a model turn.
@Suite("Transcripts through parser, decoder and accumulator")
struct TranscriptAssemblyTests {
    static let textTranscript = """
        data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\r
        \r
        data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Línea uno\\n"},"finish_reason":null}]}\r
        \r
        : keep-alive\r
        \r
        data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"line two — ✓ 🙂"},"finish_reason":null}]}\r
        \r
        data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\r
        \r
        data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}\r
        \r
        data: [DONE]\r
        \r

        """

    static let toolTranscript = """
        data: {"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}

        data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"ci"}}]},"finish_reason":null}]}

        data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{}"}}]},"finish_reason":null}]}

        data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ty\\":\\"São Paulo\\"}"}}]},"finish_reason":null}]}

        data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}

        data: [DONE]


        """

    static func assemble(_ transcript: String, cuts: [Int]) throws -> (ModelTurnAccumulator, done: Bool) {
        let bytes = Array(transcript.utf8)
        var parser = ServerSentEventParser()
        let decoder = ChatCompletionChunkDecoder()
        var turn = ModelTurnAccumulator()
        var done = false
        var start = 0
        for cut in cuts.sorted() + [bytes.count] where cut >= start {
            var deltas: [ModelDelta] = []
            try bytes[start..<cut].withUnsafeBytes { piece in
                try parser.feed(piece) { event in
                    if try decoder.decode(event.data, into: &deltas) == .done { done = true }
                }
            }
            for delta in deltas { try turn.add(delta) }
            start = cut
        }
        return (turn, done)
    }

    static func cutsToTry(_ count: Int) -> [[Int]] {
        var random = SplitMix64(seed: 0x5EED)
        return [[], Array(0...count)] + (0..<100).map { _ in
            (0..<Int.random(in: 1...20, using: &random)).map { _ in Int.random(in: 0...count, using: &random) }
        }
    }

    @Test("a text answer assembles to the same text, finish and usage in every split")
    func text() throws {
        for cuts in Self.cutsToTry(Self.textTranscript.utf8.count) {
            let (turn, done) = try Self.assemble(Self.textTranscript, cuts: cuts)
            #expect(turn.text == "Línea uno\nline two — ✓ 🙂")
            #expect(turn.finishReason == .stop)
            #expect(turn.usage == Usage(promptTokens: 9, completionTokens: 4, totalTokens: 13))
            #expect(done)
            #expect(!turn.hasToolCalls)
        }
    }

    @Test("interleaved tool-call fragments assemble by index in every split")
    func toolCalls() throws {
        for cuts in Self.cutsToTry(Self.toolTranscript.utf8.count) {
            let (turn, done) = try Self.assemble(Self.toolTranscript, cuts: cuts)
            #expect(turn.toolCalls() == [
                ToolCall(id: "call_a", name: "get_weather", arguments: #"{"city":"São Paulo"}"#),
                ToolCall(id: "call_b", name: "get_time", arguments: "{}"),
            ])
            #expect(turn.finishReason == .toolCalls)
            #expect(done)
        }
    }
}
