import StreamingApplication
import StreamingDomain
import StreamingTestSupport
import Testing

@Suite("ConnectionHub wire protocol")
struct HubProtocolTests {
    @Test("ping is answered with pong")
    func ping() throws {
        let hub = HubFixture.hub()
        let client = try hub.connectClient()
        client.sink.clear()
        client.send(#"{"type":"ping"}"#)
        #expect(client.sink.messages == [["type": "pong"]])
    }

    @Test("an unknown type is answered with unknown_type and its request_type")
    func unknownType() throws {
        let hub = HubFixture.hub()
        let client = try hub.connectClient()
        client.sink.clear()
        client.send(#"{"type":"teleport","where":"mars"}"#)

        let error = try #require(client.sink.last)
        #expect(error["type"] == "error")
        #expect(error["code"] == "unknown_type")
        #expect(error["request_type"] == "teleport")
        #expect(error["message"]?.stringValue?.contains("teleport") == true)
        #expect(client.sink.closes.isEmpty)
        #expect(client.connection.isOpen)
    }

    @Test(
        "text that is not a valid message is answered with invalid_message and the connection stays open",
        arguments: [
            "", "not json", "{", #"{"type":"ping"} trailing"#, #"["ping"]"#, #"{"type":"subscribe"}"#,
            #"{"type":"ping","n":01}"#, #"{"type":"resume","id":"s","after_seq":-3}"#,
        ]
    )
    func invalidMessages(text: String) throws {
        let hub = HubFixture.hub()
        let client = try hub.connectClient()
        client.sink.clear()
        client.send(text)

        #expect(client.sink.errorCodes == ["invalid_message"])
        #expect(client.sink.closes.isEmpty)
        client.send(#"{"type":"ping"}"#)
        #expect(client.sink.last == ["type": "pong"])
    }

    @Test("invalid UTF-8 inside a text message is invalid_message")
    func invalidUTF8Bytes() throws {
        let hub = HubFixture.hub()
        let client = try hub.connectClient()
        client.sink.clear()
        let bytes: [UInt8] = Array(#"{"type":"ping","x":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        bytes.withUnsafeBytes { hub.receive($0, from: client.connection) }
        #expect(client.sink.errorCodes == ["invalid_message"])
    }

    @Test("a message over maxMessageSize is too_large and closes with 1009; one at the limit passes")
    func tooLarge() throws {
        let hub = HubFixture.hub(options: ConnectionHubOptions(maxMessageSize: 64))
        let client = try hub.connectClient()
        let codes = Locked<[CloseCode?]>([])
        hub.onDisconnect { _, code in codes.withLock { $0.append(code) } }
        client.sink.clear()

        let atLimit = #"{"type":"ping","pad":""# + String(repeating: "x", count: 64 - 24) + #""}"#
        #expect(atLimit.utf8.count == 64)
        client.send(atLimit)
        #expect(client.sink.messages == [["type": "pong"]])

        client.send(#"{"type":"ping","pad":""# + String(repeating: "x", count: 41) + #""}"#)
        #expect(client.sink.errorCodes == ["too_large"])
        #expect(client.sink.closeCode == .messageTooBig)
        #expect(codes.value == [.messageTooBig])
        #expect(hub.connection(client.id) == nil)
    }

    @Test(
        "transport-detected violations close with the fitting code",
        arguments: [
            (ProtocolViolation.binaryMessage, CloseCode.unsupportedData, ["invalid_message"]),
            (.invalidUTF8, .invalidPayload, ["invalid_message"]),
            (.messageTooLarge(limit: 10), .messageTooBig, ["too_large"]),
            (.framing("fragmented control frame"), .protocolError, []),
        ] as [(ProtocolViolation, CloseCode, [String])]
    )
    func violations(violation: ProtocolViolation, code: CloseCode, errors: [String]) throws {
        let hub = HubFixture.hub()
        let client = try hub.connectClient()
        let other = try hub.connectClient()
        client.send(#"{"type":"subscribe","channel":"c"}"#)
        client.sink.clear()

        hub.fail(client.connection, violation)

        #expect(client.sink.errorCodes == errors)
        #expect(client.sink.closes.map(\.code) == [code])
        #expect(hub.connection(client.id) == nil)
        #expect(hub.subscribers(of: "c").isEmpty)
        #expect(hub.connection(other.id) != nil)
        #expect(other.sink.closes.isEmpty)
    }

    @Test("messages beyond the per-minute rate are rate_limited and not processed")
    func rateLimit() throws {
        let hub = HubFixture.hub(options: ConnectionHubOptions(messagesPerMinute: 5))
        let client = try hub.connectClient()
        let other = try hub.connectClient()
        let seen = Locked<[String]>([])
        hub.onMessage { _, message in seen.withLock { $0.append(message.type) } }
        client.sink.clear()

        for _ in 1...4 { client.send(#"{"type":"ping"}"#) }
        client.send(#"{"type":"subscribe","channel":"c"}"#)
        #expect(client.sink.messages(ofType: "pong").count == 4)
        #expect(client.sink.messages(ofType: "subscribed").count == 1)

        client.send(#"{"type":"subscribe","channel":"d"}"#)
        client.send(#"{"type":"ping"}"#)
        #expect(client.sink.errorCodes == ["rate_limited", "rate_limited"])
        let error = try #require(client.sink.messages(ofType: "error").first)
        #expect(error["message"]?.stringValue?.contains("retry in") == true)
        #expect(client.sink.messages(ofType: "pong").count == 4)
        #expect(hub.subscribers(of: "d").isEmpty)
        #expect(seen.value.count == 5)
        #expect(client.connection.isOpen)

        // The limit is per connection.
        other.sink.clear()
        other.send(#"{"type":"ping"}"#)
        #expect(other.sink.messages == [["type": "pong"]])
    }

    @Test("a rate of zero messages per minute still lets one message through instead of crashing")
    func zeroRate() throws {
        let hub = HubFixture.hub(options: ConnectionHubOptions(messagesPerMinute: 0))
        let client = try hub.connectClient()
        client.sink.clear()
        client.send(#"{"type":"ping"}"#)
        client.send(#"{"type":"ping"}"#)
        #expect(client.sink.messages(ofType: "pong").count == 1)
        #expect(client.sink.errorCodes == ["rate_limited"])
    }

    @Test("custom types go to handlers registered with handle(_:_:)")
    func customHandlers() throws {
        let hub = HubFixture.hub()
        let typing = Locked<[String]>([])
        hub.handle("typing") { (connection, fields) throws(ProtocolFailure) in
            let room = try fields.string("room")
            typing.withLock { $0.append("\(connection.id):\(room)") }
            hub.publish(["room": .string(room)], on: "typing:" + room, from: connection.id)
        }
        hub.handle("secret") { (_, _) throws(ProtocolFailure) in
            throw ProtocolFailure(.forbidden, "not for you")
        }
        let client = try hub.connectClient()
        client.send(#"{"type":"subscribe","channel":"typing:lobby"}"#)
        client.sink.clear()

        client.send(#"{"type":"typing","room":"lobby"}"#)
        #expect(typing.value == ["\(client.id):lobby"])
        #expect(client.sink.messages(ofType: "message").count == 1)

        client.send(#"{"type":"typing"}"#)
        client.send(#"{"type":"secret"}"#)
        let errors = client.sink.messages(ofType: "error")
        #expect(errors.map { $0["code"] } == ["invalid_message", "forbidden"])
        #expect(errors.map { $0["request_type"] } == ["typing", "secret"])
        #expect(errors.last?["message"] == "not for you")
        #expect(typing.value.count == 1)
    }

    @Test("a handler cannot replace a built-in type")
    func builtInsStay() throws {
        let hub = HubFixture.hub()
        let called = Flag()
        hub.handle("ping") { _, _ in called.set() }
        let client = try hub.connectClient()
        client.sink.clear()
        client.send(#"{"type":"ping"}"#)
        #expect(client.sink.messages == [["type": "pong"]])
        #expect(!called.isSet)
    }

    @Test("auth without a verifier is accepted as the connection's identity or anonymous")
    func authWithoutVerifier() throws {
        let hub = HubFixture.hub()
        let client = try hub.connectClient()
        client.sink.clear()
        client.send(#"{"type":"auth","token":"anything"}"#)
        #expect(client.sink.messages == [["type": "authenticated", "identity": "anonymous"]])
        #expect(!hub.requiresAuthentication)
    }
}
