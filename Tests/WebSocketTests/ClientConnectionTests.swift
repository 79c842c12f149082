import RAAFStreaming
import StreamingTestSupport
import StreamingWebSocket
import Testing

/// The client against the real server: connecting, channels, authentication, compression,
/// and surviving a server that goes away.
@Suite struct ClientConnectionTests {
    @Test func connectGetsAClientID() async throws {
        try await TestServer.run { server in
            let client = WebSocketClient(configuration: .test(url: server.url))
            let probe = ClientProbe(client)
            try await running(client) {
                try await waitUntil("the connected frame") { client.clientID != nil }
                let id = try #require(client.clientID)
                #expect(probe.connects.value == [id])
                #expect(server.hub.connection(ConnectionID(id)) != nil)
            }
            // close() ended the connection with 1000, and did not reconnect.
            try await waitUntil("the server to forget the client") { server.hub.connections.isEmpty }
            #expect(probe.disconnections.value.count == 1)
            #expect(probe.disconnections.value.first?.willReconnect == false)
            #expect(probe.reconnectAttempts.value.isEmpty)
        }
    }

    @Test func subscribePublishRoundTripBetweenTwoClients() async throws {
        try await TestServer.run { server in
            let alice = WebSocketClient(configuration: .test(url: server.url))
            let bob = WebSocketClient(configuration: .test(url: server.url))
            let aliceProbe = ClientProbe(alice)
            try await running(alice) {
                try await running(bob) {
                    try await alice.subscribe("room")
                    try await waitUntil("bob to connect") { bob.clientID != nil }
                    try bob.publish(channel: "room", data: ["text": "hello", "n": 1])
                    try await waitUntil("alice to receive it") { !aliceProbe.data(on: "room").isEmpty }
                    let received = aliceProbe.messages.value.first { if case .message = $0 { true } else { false } }
                    #expect(received == .message(channel: "room", data: ["text": "hello", "n": 1], from: bob.clientID))
                    try await alice.unsubscribe("room")
                    #expect(server.hub.subscribers(of: "room").isEmpty)
                }
            }
        }
    }

    @Test func authenticationIsConfirmedAndRenewedAfterAReconnect() async throws {
        try await TestServer.run(authenticate: { $0 == "good" ? "alice" : nil }) { server in
            let client = WebSocketClient(configuration: .test(url: server.url))
            let probe = ClientProbe(client)
            try await running(client) {
                // Before authenticating, requests are refused with a typed error.
                await #expect(throws: StreamingError.unauthorized("authenticate first")) { try await client.subscribe("private") }
                #expect(try await client.authenticate(token: "good") == "alice")
                try await client.subscribe("private")
                let first = try #require(client.clientID)
                // Drop the connection on the server's side: the client comes back authenticated.
                server.hub.connection(ConnectionID(first))?.sink.close(code: .goingAway, reason: "test cut")
                try await waitUntil("a new connection") { probe.connects.value.count == 2 && client.clientID != nil }
                let second = try #require(client.clientID)
                try await waitUntil("the token to be accepted again") {
                    server.hub.connection(ConnectionID(second))?.identity == "alice"
                        && server.hub.subscribers(of: "private").map(\.id) == [ConnectionID(second)]
                }
            }
        }
    }

    @Test func refusedTokenIsATypedErrorAndIsNotSentAgain() async throws {
        try await TestServer.run(authenticate: { $0 == "good" ? "alice" : nil }) { server in
            var configuration = WebSocketClient.Configuration.test(url: server.url)
            configuration.token = "bad"
            let client = WebSocketClient(configuration: configuration)
            let probe = ClientProbe(client)
            try await running(client) {
                // The configured token is refused and the server closes (1008); the client
                // reconnects without it and can still authenticate properly.
                try await waitUntil("the refusal and the reconnect") { probe.connects.value.count >= 2 }
                #expect(probe.disconnections.value.first?.closeCode == .policyViolation)
                await #expect(throws: StreamingError.unauthorized("the token was refused")) {
                    try await client.authenticate(token: "worse")
                }
                try await waitUntil("another connection") { client.clientID != nil }
                #expect(try await client.authenticate(token: "good") == "alice")
            }
        }
    }

    @Test func largeMessagesPassWithCompression() async throws {
        try await TestServer.run { server in
            let client = WebSocketClient(configuration: .test(url: server.url, compression: .init()))
            let probe = ClientProbe(client)
            let big = JSONValue.string(String(repeating: "streaming is fun; ", count: 4000))  // 72 KB
            try await running(client) {
                try await client.subscribe("big")
                try client.publish(channel: "big", data: big)
                try await waitUntil("the echo") { probe.data(on: "big") == [big] }
            }
        }
    }

    @Test func compressionIsNegotiatedAndItsLimitApplies() async throws {
        // With the library's 16 KiB limit, the compressed echo of a 72 KB message breaks the
        // connection: proof that permessage-deflate is on, and why the default is raised.
        try await TestServer.run { server in
            let small = WebSocketClient.Compression(maxDecompressedMessageSize: 1 << 14)
            let client = WebSocketClient(configuration: .test(url: server.url, compression: small))
            let probe = ClientProbe(client)
            let big = JSONValue.string(String(repeating: "streaming is fun; ", count: 4000))
            try await running(client) {
                try await client.subscribe("big")
                try client.publish(channel: "big", data: big)
                try await waitUntil("the connection to break") { !probe.disconnections.value.isEmpty }
                #expect(probe.data(on: "big").isEmpty)
                #expect(probe.disconnections.value.first?.willReconnect == true)
            }
        }
    }

    @Test func reconnectsToARestartedServerResubscribesAndDeliversQueuedSends() async throws {
        let port = try Loopback.freePort()
        let client = WebSocketClient(configuration: .test(url: "ws://127.0.0.1:\(port)/ws", maxQueuedMessages: 3))
        let probe = ClientProbe(client)
        try await running(client) {
            try await TestServer.run(port: port) { _ in
                try await client.subscribe("news")
            }
            // The server is gone: the client keeps trying, counting its attempts.
            try await waitUntil("the drop") { !probe.disconnections.value.isEmpty && !client.isConnected }
            #expect(probe.disconnections.value.allSatisfy { $0.willReconnect })
            for index in 0..<3 { try client.publish(channel: "news", data: .int(index)) }
            #expect(throws: StreamingError.queueFull(capacity: 3)) { try client.publish(channel: "news", data: 3) }
            try await waitUntil("two reconnect attempts") { probe.reconnectAttempts.value.count >= 2 }

            try await TestServer.run(port: port) { server in
                // Subscribed again before the queued publishes go out, so they come back to it.
                try await waitUntil("the queued sends") { probe.data(on: "news") == [0, 1, 2] }
                #expect(server.hub.subscribers(of: "news").map(\.id.rawValue) == client.clientID.map { [$0] })
            }
        }
        // Attempts count 1, 2, 3... from each drop.
        let attempts = probe.reconnectAttempts.value
        #expect(attempts.first == 1)
        for (previous, next) in zip(attempts, attempts.dropFirst()) { #expect(next == previous + 1 || next == 1) }
    }

    @Test func givesUpAfterMaxAttemptsOnceTheServerIsGone() async throws {
        let port = try Loopback.freePort()
        let client = WebSocketClient(configuration: .test(url: "ws://127.0.0.1:\(port)/ws", maxAttempts: 2))
        let probe = ClientProbe(client)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            try await TestServer.run(port: port) { _ in
                try await waitUntil("the connection") { client.clientID != nil }
            }
            var thrown: (any Error)?
            do { try await group.next() } catch { thrown = error }
            #expect(thrown is StreamingError)
        }
        let disconnections = probe.disconnections.value
        #expect(disconnections.first?.willReconnect == true)
        let final = try #require(disconnections.last)
        #expect(final.willReconnect == false)
        guard case .connection(let reason)? = final.error else {
            Issue.record("no final connection error: \(final)")
            return
        }
        #expect(reason.contains("gave up after 2 reconnect attempts"))
        #expect(probe.reconnectAttempts.value.suffix(2) == [1, 2])
    }
}
