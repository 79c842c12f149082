#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StreamingDomain
import Testing

@Suite("Domain value types")
struct WireFormatTests {
    @Test("JSONWriter escapes control characters, quotes and backslashes, and keeps non-ASCII text")
    func escaping() throws {
        let tricky = "line\nbreak \"quoted\" back\\slash tab\t bell\u{07} ünï 🙂"
        let event = StreamEvent(seq: 3, kind: .content(tricky))
        let text = event.jsonText(streamID: "s1")
        #expect(text.hasPrefix(#"{"type":"response_chunk","id":"s1","seq":3,"content":""#))
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(decoded == ["type": "response_chunk", "id": "s1", "seq": 3, "content": .string(tricky)])
    }

    @Test("every event kind writes a JSON object with its type, seq and fields")
    func eventKinds() throws {
        let agent = Agent(name: "a")
        let kinds: [(StreamEvent.Kind, JSONValue)] = [
            (
                .toolCall(ToolCall(id: "c1", name: "get_weather", arguments: #"{"city":"Oslo"}"#), agent: "a"),
                ["type": "tool_call", "seq": 1, "call_id": "c1", "name": "get_weather", "arguments": #"{"city":"Oslo"}"#, "agent": "a"]
            ),
            (
                .toolOutput(ToolOutput(callID: "c1", toolName: "get_weather", output: "cold", isError: false, agent: "a")),
                ["type": "tool_output", "seq": 1, "call_id": "c1", "name": "get_weather", "output": "cold", "is_error": false, "agent": "a"]
            ),
            (
                .handoff(Handoff(from: "a", to: "b", reason: "billing", callID: "h")),
                ["type": "handoff", "seq": 1, "from": "a", "to": "b", "reason": "billing"]
            ),
            (
                .complete(RunResult(messages: [], finalOutput: "done", lastAgent: agent, usage: Usage(promptTokens: 2, completionTokens: 3), turns: 1)),
                [
                    "type": "complete", "seq": 1, "content": "done", "agent": "a", "turns": 1,
                    "usage": ["prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5],
                ]
            ),
        ]
        for (kind, expected) in kinds {
            let text = StreamEvent(seq: 1, kind: kind).jsonText()
            #expect(try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) == expected)
        }
    }

    @Test("JSONValue round-trips through Codable and prints with sorted keys")
    func jsonValue() throws {
        let value: JSONValue = ["b": [1, 2.5, "x", nil, true], "a": ["nested": "ü"]]
        let data = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == value)
        #expect(value.jsonString == #"{"a":{"nested":"ü"},"b":[1,2.5,"x",null,true]}"#)
    }

    @Test("chat messages encode in the Chat Completions shape and decode back")
    func chatMessages() throws {
        let messages: [ChatMessage] = [
            .system("rules"), .user("hi"),
            .assistant("", toolCalls: [ToolCall(id: "c", name: "t", arguments: "{}")]),
            .tool(toolCallID: "c", content: "result"), .assistant("bye"),
        ]
        let data = try JSONEncoder().encode(messages)
        #expect(try JSONDecoder().decode([ChatMessage].self, from: data) == messages)
        let tool = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(messages[3]))
        #expect(tool == ["role": "tool", "content": "result", "tool_call_id": "c"])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(ChatMessage.self, from: Data(#"{"role":"robot","content":"x"}"#.utf8))
        }
    }

    @Test("handoff tool names are transfer_to_ and the agent's name in lower-case word characters")
    func handoffToolName() {
        #expect(Agent(name: "Support").handoffToolName == "transfer_to_support")
        #expect(Agent(name: "Billing Team-2").handoffToolName == "transfer_to_billing_team_2")
        let triage = Agent(name: "triage", handoffs: [Agent(name: "Support")])
        #expect(triage.toolDefinitions.map(\.name) == ["transfer_to_support"])
        #expect(triage.handoffTarget(forTool: "transfer_to_support")?.name == "Support")
    }

    @Test("typed tools decode their arguments and report arguments that do not fit")
    func typedTool() async throws {
        struct Arguments: Decodable, Sendable { var count: Int }
        struct Output: Encodable, Sendable { var doubled: Int }
        let tool = Tool(name: "double", description: "", parameters: ["type": "object"]) { (arguments: Arguments) in
            Output(doubled: arguments.count * 2)
        }
        #expect(try await tool.handler(#"{"count":21}"#) == #"{"doubled":42}"#)
        await #expect(throws: StreamingError.self) { try await tool.handler(#"{"count":"many"}"#) }
    }

    @Test("errors have stable codes and say which errors may succeed on retry")
    func errorCodes() {
        #expect(StreamingError.queueFull(capacity: 3).code == "queue_full")
        #expect(StreamingError.configuration(variable: "X", reason: "y").description.contains("X"))
        #expect(StreamingError.provider(status: 503, message: "busy").isRetryable)
        #expect(!StreamingError.provider(status: 400, message: "bad").isRetryable)
        #expect(StreamingError.rateLimited(retryAfter: .seconds(1)).isRetryable)
        #expect(!StreamingError.invalidInput("x").isRetryable)
    }

    @Test("usage adds up")
    func usage() {
        var total = Usage.zero
        total += Usage(promptTokens: 3, completionTokens: 4)
        total += Usage(promptTokens: 1, completionTokens: 1)
        #expect(total == Usage(promptTokens: 4, completionTokens: 5, totalTokens: 9))
    }
}
