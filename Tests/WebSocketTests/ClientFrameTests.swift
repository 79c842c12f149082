import StreamingApplication
import StreamingDomain
import Testing

@testable import StreamingWebSocket

/// The client's frames parse with the server's own parser into the messages they mean,
/// and the server's frames decode into the client's types.
@Suite struct ClientFrameTests {
    private func parsed(_ text: String) throws -> ClientMessage {
        try ClientMessage(try JSONValue(parsing: text))
    }

    @Test func clientFramesParseOnTheServer() throws {
        #expect(try parsed(ClientFrame.subscribe("news")) == .subscribe(channel: "news"))
        #expect(try parsed(ClientFrame.unsubscribe("news")) == .unsubscribe(channel: "news"))
        #expect(
            try parsed(ClientFrame.publish(channel: "news", data: ["a": [1, "two"]]))
                == .publish(channel: "news", data: ["a": [1, "two"]]))
        #expect(try parsed(ClientFrame.auth(token: "t\"ok")) == .auth(token: "t\"ok"))
        #expect(
            try parsed(ClientFrame.agentStream(id: "s1", agent: "assistant", input: "Hi\nthere"))
                == .agentStream(id: "s1", agent: "assistant", input: "Hi\nthere"))
        #expect(try parsed(ClientFrame.resume(id: "s1", afterSeq: 7)) == .resume(id: "s1", afterSeq: 7))
        #expect(try parsed(ClientFrame.cancel(id: "s1")) == .cancel(id: "s1"))
        #expect(try parsed(ClientFrame.ping) == .ping)
        #expect(
            try parsed(ClientFrame.custom(type: "join_room", fields: ["room": "lobby", "type": "ignored"]))
                == .custom(type: "join_room", fields: ["type": "join_room", "room": "lobby"]))
    }

    @Test func serverFramesDecode() throws {
        let connected = ServerFrame.connected(ConnectionID("abc"), identity: nil, authenticationRequired: true)
        #expect(
            try ServerMessage(text: connected.text)
                == .connected(clientID: "abc", identity: nil, authenticationRequired: true))
        #expect(try ServerMessage(text: ServerFrame.subscribed("c").text) == .subscribed(channel: "c"))
        #expect(try ServerMessage(text: ServerFrame.unsubscribed("c").text) == .unsubscribed(channel: "c"))
        #expect(
            try ServerMessage(text: ServerFrame.message(channel: "c", data: ["x": 1], from: ConnectionID("f")).text)
                == .message(channel: "c", data: ["x": 1], from: "f"))
        #expect(
            try ServerMessage(text: ServerFrame.message(channel: "c", data: "s", from: nil).text)
                == .message(channel: "c", data: "s", from: nil))
        #expect(try ServerMessage(text: ServerFrame.pong.text) == .pong)
        #expect(try ServerMessage(text: ServerFrame.authenticated(identity: "ann").text) == .authenticated(identity: "ann"))
        #expect(try ServerMessage(text: ServerFrame.missed(3).text) == .missed(count: 3))
        #expect(
            try ServerMessage(text: ServerFrame.resumed(id: "s", afterSeq: 2, lastSeq: 5, finished: true).text)
                == .resumed(id: "s", afterSeq: 2, lastSeq: 5, finished: true))
        #expect(try ServerMessage(text: #"{"type":"room_joined","room":"r"}"#) == .other(type: "room_joined", fields: ["type": "room_joined", "room": "r"]))
    }

    @Test func chatAnswerFramesAreOtherNotStreamEvents() throws {
        // A chat room's response_chunk has no stream `id` of this client's: it must not be
        // taken for (and rejected as) a malformed agent stream frame.
        let text = #"{"type":"response_chunk","room":"r","stream":"c-1","seq":1,"agent":"assistant","content":"Hi"}"#
        guard case .other("response_chunk", let fields) = try ServerMessage(text: text) else {
            Issue.record("not decoded as a chat frame")
            return
        }
        #expect(fields["content"] == "Hi")
        #expect(throws: StreamingError.self) { try ServerMessage(text: #"{"type":"response_chunk","seq":1,"content":"x"}"#) }
    }

    @Test func streamEventsDecodeFromTheRunnersFrames() throws {
        let events: [StreamEvent] = [
            StreamEvent(seq: 1, kind: .content("Hel")),
            StreamEvent(seq: 2, kind: .toolCall(ToolCall(id: "c1", name: "get_weather", arguments: #"{"city":"Oslo"}"#), agent: "assistant")),
            StreamEvent(seq: 3, kind: .toolOutput(ToolOutput(callID: "c1", toolName: "get_weather", output: "sunny", agent: "assistant"))),
            StreamEvent(seq: 4, kind: .handoff(Handoff(from: "assistant", to: "support", reason: "asked", callID: "c2"))),
            StreamEvent(
                seq: 5,
                kind: .complete(
                    RunResult(
                        messages: [], finalOutput: "Hello", lastAgent: Agent(name: "support"),
                        usage: Usage(promptTokens: 3, completionTokens: 4), turns: 2))),
        ]
        let decoded = try events.map { try ServerMessage(text: $0.jsonText(streamID: "s9")) }
        #expect(decoded[0] == .streamEvent(AgentStreamEvent(streamID: "s9", seq: 1, kind: .content("Hel"))))
        #expect(
            decoded[1]
                == .streamEvent(
                    AgentStreamEvent(
                        streamID: "s9", seq: 2,
                        kind: .toolCall(ToolCall(id: "c1", name: "get_weather", arguments: #"{"city":"Oslo"}"#), agent: "assistant"))))
        #expect(
            decoded[2]
                == .streamEvent(
                    AgentStreamEvent(
                        streamID: "s9", seq: 3,
                        kind: .toolOutput(ToolOutput(callID: "c1", toolName: "get_weather", output: "sunny", agent: "assistant")))))
        #expect(
            decoded[3]
                == .streamEvent(AgentStreamEvent(streamID: "s9", seq: 4, kind: .handoff(from: "assistant", to: "support", reason: "asked"))))
        #expect(
            decoded[4]
                == .streamEvent(
                    AgentStreamEvent(
                        streamID: "s9", seq: 5,
                        kind: .complete(
                            AgentStreamCompletion(
                                content: "Hello", agent: "support", turns: 2,
                                usage: Usage(promptTokens: 3, completionTokens: 4))))))
        #expect(decoded.map(\.type) == ["response_chunk", "tool_call", "tool_output", "handoff", "complete"])
    }

    @Test func errorFramesMapToTypedErrors() throws {
        func decode(_ failure: ProtocolFailure, seq: Int? = nil, requestType: String? = nil) throws -> ErrorFrame {
            guard case .error(let frame) = try ServerMessage(text: ServerFrame.error(failure, seq: seq, requestType: requestType).text)
            else { throw StreamingError.protocol("not an error frame") }
            return frame
        }
        let ended = try decode(ProtocolFailure(.cancelled, "the stream was cancelled", streamID: "s"), seq: 4)
        #expect(ended == ErrorFrame(code: "cancelled", message: "the stream was cancelled", streamID: "s", seq: 4))
        #expect(ended.streamingError == .cancelled)
        #expect(try decode(ProtocolFailure(.notFound, "no stream")).streamingError == .notFound("no stream"))
        let refused = try decode(ProtocolFailure(.unauthorized, "the token was refused"), requestType: "auth")
        #expect(refused.requestType == "auth")
        #expect(refused.streamingError == .unauthorized("the token was refused"))
        #expect(try decode(ProtocolFailure(.forbidden, "no")).streamingError == .forbidden("no"))
        #expect(try decode(ProtocolFailure(.invalidMessage, "bad")).streamingError == .invalidInput("bad"))
        #expect(
            try decode(ProtocolFailure(.rateLimited, "too many messages; retry in 250 ms")).streamingError
                == .rateLimited(retryAfter: .milliseconds(250)))
        #expect(try decode(ProtocolFailure(.serverBusy, "full")).streamingError == .serverBusy("full"))
        // Codes without a case of their own keep their code.
        #expect(
            try decode(ProtocolFailure(.shuttingDown, "draining")).streamingError
                == .server(code: "shutting_down", message: "draining"))
        #expect(try decode(ProtocolFailure(.internalError, "boom")).streamingError == .server(code: "internal_error", message: "boom"))
        // An agent run's own failures keep their case.
        let maxTurns = StreamingError.maxTurnsExceeded(maxTurns: 8)
        #expect(
            try decode(ProtocolFailure(ProtocolErrorCode(rawValue: maxTurns.code), maxTurns.description)).streamingError == maxTurns)
        // Every agent-run failure that has a case decodes to it: the server writes the error's
        // code and its description, which becomes the case's text.
        func roundTrip(_ failure: StreamingError) throws -> StreamingError {
            try decode(ProtocolFailure(ProtocolErrorCode(rawValue: failure.code), failure.description)).streamingError
        }
        #expect(try roundTrip(.timeout("no byte for 60 s")) == .timeout("timed out: no byte for 60 s"))
        #expect(try roundTrip(.connection("reset")) == .connection("connection failed: reset"))
        #expect(try roundTrip(.protocol("not a chunk")) == .protocol("protocol error: not a chunk"))
        #expect(try roundTrip(.cancelled) == .cancelled)
        #expect(try roundTrip(.queueFull(capacity: 32)) == .queueFull(capacity: 32))
        #expect(try roundTrip(.shutDown("the async runner")) == .shutDown("shut down: the async runner"))
        #expect(try roundTrip(.serverBusy("4 model connections busy")) == .serverBusy("server busy: 4 model connections busy"))
        let provider = StreamingError.provider(status: 502, message: "bad gateway")
        #expect(
            try decode(ProtocolFailure(ProtocolErrorCode(rawValue: provider.code), provider.description)).streamingError
                == .provider(status: 502, message: provider.description))
    }

    @Test func malformedFramesAreProtocolErrors() {
        #expect(throws: StreamingError.self) { try ServerMessage(text: "not json") }
        #expect(throws: StreamingError.self) { try ServerMessage(text: "[1]") }
        #expect(throws: StreamingError.self) { try ServerMessage(text: #"{"type":"response_chunk","id":"s"}"#) }
    }
}
