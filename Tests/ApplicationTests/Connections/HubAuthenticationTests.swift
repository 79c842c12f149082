import StreamingApplication
import StreamingDomain
import StreamingTestSupport
import Testing

@Suite("ConnectionHub authentication")
struct HubAuthenticationTests {
    static let tokens = ["alice-token": "alice", "bob-token": "bob"]

    func makeHub() -> ConnectionHub {
        HubFixture.hub(authenticate: { Self.tokens[$0] })
    }

    @Test("before auth every message but ping and auth is unauthorized and not processed")
    func unauthorizedBeforeAuth() throws {
        let hub = makeHub()
        let client = try hub.connectClient()
        let seen = Locked<[String]>([])
        hub.onMessage { _, message in seen.withLock { $0.append(message.type) } }
        hub.handle("typing") { _, _ in seen.withLock { $0.append("handler") } }
        #expect(client.sink.last?["authentication_required"] == true)
        #expect(client.sink.last?["authenticated"] == false)
        client.sink.clear()

        let requests = [
            #"{"type":"subscribe","channel":"c"}"#, #"{"type":"publish","channel":"c","data":1}"#,
            #"{"type":"agent_stream","agent":"assistant","input":"hi"}"#, #"{"type":"cancel","id":"s"}"#,
            #"{"type":"resume","id":"s","after_seq":0}"#, #"{"type":"typing","room":"r"}"#,
            #"{"type":"unsubscribe","channel":"c"}"#,
        ]
        for request in requests { client.send(request) }

        let errors = client.sink.messages(ofType: "error")
        #expect(errors.map { $0["code"] } == Array(repeating: "unauthorized", count: requests.count))
        #expect(errors.map { $0["request_type"]?.stringValue } == [
            "subscribe", "publish", "agent_stream", "cancel", "resume", "typing", "unsubscribe",
        ])
        #expect(seen.value.isEmpty)
        #expect(hub.subscribers(of: "c").isEmpty)
        #expect(hub.streams.stats.started == 0)
        #expect(client.sink.closes.isEmpty)

        client.sink.clear()
        client.send(#"{"type":"ping"}"#)
        #expect(client.sink.messages == [["type": "pong"]])
    }

    @Test("a good token authenticates the connection with its identity")
    func goodToken() throws {
        let hub = makeHub()
        let client = try hub.connectClient()
        client.sink.clear()

        client.send(#"{"type":"auth","token":"alice-token"}"#)
        #expect(client.sink.messages == [["type": "authenticated", "identity": "alice"]])
        #expect(client.connection.identity == "alice")

        client.send(#"{"type":"subscribe","channel":"c"}"#)
        #expect(client.sink.last == ["type": "subscribed", "channel": "c"])
        #expect(hub.identity(forToken: "bob-token") == "bob")
        #expect(hub.identity(forToken: "nope") == nil)
        #expect(hub.requiresAuthentication)
    }

    @Test("a bad token is unauthorized and closes with 1008")
    func badToken() throws {
        let hub = makeHub()
        let client = try hub.connectClient()
        let codes = Locked<[CloseCode?]>([])
        hub.onDisconnect { _, code in codes.withLock { $0.append(code) } }
        client.sink.clear()

        client.send(#"{"type":"auth","token":"forged"}"#)

        let error = try #require(client.sink.messages(ofType: "error").first)
        #expect(error["code"] == "unauthorized")
        #expect(error["request_type"] == "auth")
        #expect(client.sink.messages(ofType: "authenticated").isEmpty)
        #expect(client.sink.closes.map(\.code) == [.policyViolation])
        #expect(codes.value == [.policyViolation])
        #expect(client.connection.identity == nil)
        #expect(hub.connection(client.id) == nil)
    }

    @Test("an authenticated connection can re-authenticate as another identity only with a good token")
    func reauthenticate() throws {
        let hub = makeHub()
        let client = try hub.connectClient()
        client.send(#"{"type":"auth","token":"alice-token"}"#)
        client.send(#"{"type":"auth","token":"bob-token"}"#)
        #expect(client.connection.identity == "bob")
        client.send(#"{"type":"auth","token":"forged"}"#)
        #expect(client.sink.closeCode == .policyViolation)
    }
}
