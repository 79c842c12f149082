import StreamingApplication
import StreamingDomain
import Testing

/// Parses `text` as a client message, as the hub does.
private func message(_ text: String) throws -> ClientMessage {
    try ClientMessage(try JSONValue(parsing: text))
}

/// The failure `text` is refused with, or `nil` when it parses.
private func refusal(_ text: String) throws -> ProtocolFailure? {
    let value = try JSONValue(parsing: text)
    do throws(ProtocolFailure) {
        _ = try ClientMessage(value)
        return nil
    } catch {
        return error
    }
}

@Suite("ClientMessage")
struct ClientMessageTests {
    @Test("parses every built-in type")
    func builtInTypes() throws {
        #expect(try message(#"{"type":"subscribe","channel":"news"}"#) == .subscribe(channel: "news"))
        #expect(try message(#"{"type":"unsubscribe","channel":"news"}"#) == .unsubscribe(channel: "news"))
        #expect(
            try message(#"{"type":"publish","channel":"news","data":{"text":"hi","n":[1,2.5]}}"#)
                == .publish(channel: "news", data: ["text": "hi", "n": [1, 2.5]])
        )
        #expect(
            try message(#"{"type":"agent_stream","id":"s1","agent":"assistant","input":"Hello"}"#)
                == .agentStream(id: "s1", agent: "assistant", input: "Hello")
        )
        #expect(
            try message(#"{"type":"agent_stream","agent":"assistant","input":"Hello"}"#)
                == .agentStream(id: nil, agent: "assistant", input: "Hello")
        )
        #expect(
            try message(#"{"type":"agent_stream","id":null,"agent":"a","input":""}"#)
                == .agentStream(id: nil, agent: "a", input: "")
        )
        #expect(try message(#"{"type":"cancel","id":"s1"}"#) == .cancel(id: "s1"))
        #expect(try message(#"{"type":"resume","id":"s1","after_seq":7}"#) == .resume(id: "s1", afterSeq: 7))
        #expect(try message(#"{"type":"resume","id":"s1","after_seq":0}"#) == .resume(id: "s1", afterSeq: 0))
        #expect(try message(#"{"type":"ping"}"#) == .ping)
        #expect(try message(#"{"type":"auth","token":"secret"}"#) == .auth(token: "secret"))
    }

    @Test("each message reports the type it was parsed from")
    func typeNames() throws {
        let texts = [
            #"{"type":"subscribe","channel":"c"}"#, #"{"type":"unsubscribe","channel":"c"}"#,
            #"{"type":"publish","channel":"c","data":1}"#, #"{"type":"agent_stream","agent":"a","input":"i"}"#,
            #"{"type":"cancel","id":"s"}"#, #"{"type":"resume","id":"s","after_seq":1}"#, #"{"type":"ping"}"#,
            #"{"type":"auth","token":"t"}"#, #"{"type":"typing","room":"r"}"#,
        ]
        for text in texts {
            let expected = try JSONValue(parsing: text)["type"]?.stringValue
            #expect(try message(text).type == expected)
        }
    }

    @Test("publish accepts any data, null included, but not a missing one")
    func publishData() throws {
        #expect(try message(#"{"type":"publish","channel":"c","data":null}"#) == .publish(channel: "c", data: .null))
        #expect(try message(#"{"type":"publish","channel":"c","data":"x"}"#) == .publish(channel: "c", data: "x"))
        #expect(try refusal(#"{"type":"publish","channel":"c"}"#)?.code == .invalidMessage)
    }

    @Test("an integral after_seq written as a float is accepted; a fraction is not")
    func afterSeqNumbers() throws {
        #expect(try message(#"{"type":"resume","id":"s","after_seq":3.0}"#) == .resume(id: "s", afterSeq: 3))
        #expect(try refusal(#"{"type":"resume","id":"s","after_seq":3.5}"#)?.code == .invalidMessage)
        #expect(try refusal(#"{"type":"resume","id":"s","after_seq":1e300}"#)?.code == .invalidMessage)
    }

    @Test(
        "refuses anything but an object with invalid_message",
        arguments: ["[]", #"[{"type":"ping"}]"#, #""ping""#, "42", "null", "true"]
    )
    func nonObjects(text: String) throws {
        let failure = try #require(try refusal(text))
        #expect(failure.code == .invalidMessage)
        #expect(failure.message == "a message must be a JSON object")
    }

    @Test(
        "refuses missing and wrong-typed fields with invalid_message naming the field",
        arguments: [
            ("{}", "type"),
            (#"{"type":1}"#, "type"),
            (#"{"type":null}"#, "type"),
            (#"{"type":"subscribe"}"#, "channel"),
            (#"{"type":"subscribe","channel":5}"#, "channel"),
            (#"{"type":"unsubscribe","channel":["a"]}"#, "channel"),
            (#"{"type":"publish","data":1}"#, "channel"),
            (#"{"type":"agent_stream","input":"hi"}"#, "agent"),
            (#"{"type":"agent_stream","agent":"a"}"#, "input"),
            (#"{"type":"agent_stream","agent":"a","input":3}"#, "input"),
            (#"{"type":"agent_stream","id":7,"agent":"a","input":"i"}"#, "id"),
            (#"{"type":"cancel"}"#, "id"),
            (#"{"type":"cancel","id":1}"#, "id"),
            (#"{"type":"resume","id":"s"}"#, "after_seq"),
            (#"{"type":"resume","id":"s","after_seq":"3"}"#, "after_seq"),
            (#"{"type":"resume","after_seq":3}"#, "id"),
            (#"{"type":"auth"}"#, "token"),
            (#"{"type":"auth","token":true}"#, "token"),
        ] as [(String, String)]
    )
    func badFields(text: String, field: String) throws {
        let failure = try #require(try refusal(text))
        #expect(failure.code == .invalidMessage)
        #expect(failure.message.contains("\"\(field)\""))
    }

    @Test("bounds channel names and stream ids to 1...256 bytes")
    func nameLengths() throws {
        let longest = String(repeating: "é", count: 128)  // 256 bytes
        let tooLong = longest + "x"
        #expect(try message(#"{"type":"subscribe","channel":"\#(longest)"}"#) == .subscribe(channel: longest))
        #expect(try refusal(#"{"type":"subscribe","channel":"\#(tooLong)"}"#)?.code == .invalidMessage)
        #expect(try refusal(#"{"type":"subscribe","channel":""}"#)?.code == .invalidMessage)
        #expect(try refusal(#"{"type":"publish","channel":"","data":1}"#)?.code == .invalidMessage)
        #expect(try refusal(#"{"type":"agent_stream","id":"","agent":"a","input":"i"}"#)?.code == .invalidMessage)
        #expect(
            try refusal(#"{"type":"agent_stream","id":"\#(tooLong)","agent":"a","input":"i"}"#)?.code == .invalidMessage
        )
    }

    @Test("refuses a negative after_seq")
    func negativeAfterSeq() throws {
        #expect(try refusal(#"{"type":"resume","id":"s","after_seq":-1}"#)?.code == .invalidMessage)
    }

    @Test("keeps any other type as custom, with all its fields")
    func customTypes() throws {
        let parsed = try message(#"{"type":"typing","room":"lobby","active":true}"#)
        #expect(parsed == .custom(type: "typing", fields: ["type": "typing", "room": "lobby", "active": true]))
        #expect(parsed.type == "typing")
        // Type names are case-sensitive: "PING" is not a ping.
        #expect(try message(#"{"type":"PING"}"#) == .custom(type: "PING", fields: ["type": "PING"]))
    }

    @Test("FieldReader reads typed fields for custom handlers")
    func fieldReader() throws {
        let reader = FieldReader(fields: ["name": "n", "count": 3, "ratio": 2.0, "nothing": nil])
        #expect(try reader.string("name") == "n")
        #expect(try reader.int("count") == 3)
        #expect(try reader.int("ratio") == 2)
        #expect(try reader.optionalString("missing") == nil)
        #expect(try reader.optionalString("nothing") == nil)
        #expect(try reader.optionalInt("missing") == nil)
        #expect(try reader.optionalInt("count") == 3)
        #expect(throws: ProtocolFailure.self) { try reader.string("count") }
        #expect(throws: ProtocolFailure.self) { try reader.int("name") }
        #expect(throws: ProtocolFailure.self) { try reader.optionalInt("name") }
        #expect(throws: ProtocolFailure.self) { try reader.string("missing") }
    }
}
