import StreamingApplication
import StreamingDomain
import StreamingOpenAI
import Testing

@Suite("Chat Completions chunk decoder")
struct ChatCompletionChunkDecoderTests {
    func decode(_ line: String) throws -> [ModelDelta] {
        var deltas: [ModelDelta] = []
        _ = try ChatCompletionChunkDecoder().decode(line, into: &deltas)
        return deltas
    }

    @Test("content, refusal and finish reason")
    func content() throws {
        #expect(try decode(#"{"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi \u00e9\ud83d\ude42\n\"q\""},"logprobs":null,"finish_reason":null}]}"#)
            == [.text("Hi é🙂\n\"q\"")])
        #expect(try decode(#"{"choices":[{"index":0,"delta":{"refusal":"I can't"},"finish_reason":null}]}"#) == [.refusal("I can't")])
        #expect(try decode(#"{"choices":[{"finish_reason":"stop","index":0,"delta":{}}]}"#) == [.finish(.stop)])
        #expect(try decode(#"{"choices":[{"index":0,"delta":{"content":null},"finish_reason":"length"}]}"#) == [.finish(.length)])
    }

    @Test("every JSON escape decodes; a lone surrogate becomes U+FFFD")
    func escapes() throws {
        #expect(try decode(#"{"choices":[{"index":0,"delta":{"content":"\/\\\b\f\r\t\u0041\ud800x"}}]}"#)
            == [.text("/\\\u{08}\u{0C}\r\tA\u{FFFD}x")])
    }

    @Test("tool-call fragments: id and name first, arguments in pieces")
    func toolCalls() throws {
        #expect(try decode(#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_9","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}"#)
            == [.toolCallStart(index: 1, id: "call_9", name: "get_weather")])
        #expect(try decode(#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"ci"}}]}}]}"#)
            == [.toolCallArguments(index: 1, fragment: #"{"ci"#)])
        #expect(try decode(#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#) == [.finish(.toolCalls)])
    }

    @Test("the usage chunk has empty choices")
    func usage() throws {
        #expect(try decode(#"{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17,"prompt_tokens_details":{"cached_tokens":0}}}"#)
            == [.usage(Usage(promptTokens: 12, completionTokens: 5, totalTokens: 17))])
        #expect(try decode(#"{"choices":[{"index":0,"delta":{"content":"x"}}],"usage":null}"#) == [.text("x")])
    }

    @Test("choices other than the first are ignored")
    func otherChoices() throws {
        #expect(try decode(#"{"choices":[{"index":1,"delta":{"content":"other"},"finish_reason":"stop"}]}"#) == [])
    }

    @Test("[DONE] ends the stream")
    func done() throws {
        var deltas: [ModelDelta] = []
        #expect(try ChatCompletionChunkDecoder().decode("[DONE]", into: &deltas) == .done)
    }

    @Test("an error object is a provider error with its message")
    func errorObject() {
        #expect(throws: StreamingError.provider(status: 200, message: "The server had an error")) {
            try decode(#"{"error":{"message":"The server had an error","type":"server_error"}}"#)
        }
    }

    @Test("a line that is not a chunk is a protocol error that names the line", arguments: [
        #"{"choices":[{"delta":{"content":"unterminated}]}"#, "not json at all", #"{"choices":[]} trailing"#,
        #"{"choices":[{"delta":{"content":"bad \x escape"}}]}"#,
    ])
    func malformed(line: String) {
        do {
            _ = try decode(line)
            Issue.record("no error for \(line)")
        } catch let StreamingError.protocol(message) {
            #expect(message.contains(String(line.prefix(20))))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
