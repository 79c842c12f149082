// Throughput of the SSE parser plus chunk decoding and delta assembly, on a large
// recorded-style Chat Completions stream fed in 16 KiB network reads.
// Run with `make bench`; figures go to docs/PERFORMANCE.md.
import Benchmark
import StreamingApplication
import StreamingDomain
import StreamingOpenAI

/// A stream shaped like OpenAI's: every chunk carries id, object, created, model and
/// system_fingerprint; deltas of a few characters, some non-ASCII or escaped; a tool
/// call streamed in fragments; the finish chunk, the usage chunk and `[DONE]`.
private func recordedStream(deltas: Int) -> (bytes: [UInt8], deltas: Int) {
    let words = ["Hello", " wörld", ",", " stream", "ing", " is", " fun", " —", " \\\"quoted\\\"", "\\n", " 🙂", " tokens"]
    var text = ""
    let prefix = #"data: {"id":"chatcmpl-AbC123xYz","object":"chat.completion.chunk","created":1732000000,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_45c6de4934","choices":[{"index":0,"delta":{"#
    var count = 0
    text += prefix + #""role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}"# + "\n\n"
    for index in 0..<deltas {
        text += prefix + #""content":""# + words[index % words.count] + #""},"logprobs":null,"finish_reason":null}]}"# + "\n\n"
        count += 1
    }
    for (index, piece) in [#"{\"ci"#, #"ty\":"#, #"\"Paris\"}"#].enumerated() {
        let head = index == 0 ? #""id":"call_abc","type":"function","function":{"name":"get_weather","arguments":""# : #""function":{"arguments":""#
        text += prefix + #""tool_calls":[{"index":0,"# + head + piece + #""}}]},"logprobs":null,"finish_reason":null}]}"# + "\n\n"
        count += index == 0 ? 2 : 1
    }
    text += prefix + #"},"logprobs":null,"finish_reason":"tool_calls"}]}"# + "\n\n"
    text += #"data: {"id":"chatcmpl-AbC123xYz","object":"chat.completion.chunk","created":1732000000,"model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":120,"completion_tokens":20000,"total_tokens":20120}}"# + "\n\n"
    text += "data: [DONE]\n\n"
    return (Array(text.utf8), count + 2)
}

private let stream = recordedStream(deltas: 20_000)
private let readSize = 16 * 1024

@inline(never)
private func parseAndAssemble(_ bytes: [UInt8]) throws -> ModelTurnAccumulator {
    var parser = ServerSentEventParser()
    let decoder = ChatCompletionChunkDecoder()
    var turn = ModelTurnAccumulator()
    var deltas: [ModelDelta] = []
    deltas.reserveCapacity(512)
    try bytes.withUnsafeBytes { all in
        var offset = 0
        while offset < all.count {
            let read = UnsafeRawBufferPointer(rebasing: all[offset..<min(offset + readSize, all.count)])
            offset += read.count
            deltas.removeAll(keepingCapacity: true)
            try parser.feed(read) { event in _ = try decoder.decode(event.data, into: &deltas) }
            for delta in deltas { try turn.add(delta) }
        }
    }
    return turn
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .microseconds,
        warmupIterations: 2,
        maxDuration: .seconds(5),
        maxIterations: 200
    )
    Benchmark("SSE parse + decode + assemble: \(stream.bytes.count) bytes, \(stream.deltas) deltas") { benchmark in
        for _ in benchmark.scaledIterations {
            let turn = try parseAndAssemble(stream.bytes)
            precondition(turn.finishReason == .toolCalls && turn.toolCalls().count == 1)
            blackHole(turn)
        }
    }
}
