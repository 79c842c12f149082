import StreamingApplication
import StreamingDomain
import StreamingTestSupport
import Testing

@Suite("ConnectionHub connections")
struct HubConnectionTests {
    @Test("greets a new connection with a connected frame carrying its client_id")
    func greets() throws {
        let hub = HubFixture.hub()
        let client = try hub.connectClient()

        #expect(client.sink.frames.count == 1)
        let greeting = try #require(client.sink.last)
        #expect(greeting["type"] == "connected")
        #expect(greeting["client_id"] == .string(client.id.rawValue))
        #expect(greeting["authenticated"] == false)
        #expect(greeting["authentication_required"] == false)
        #expect(greeting["identity"] == nil)
        #expect(client.id.rawValue.count == 16)
        #expect(hub.connection(client.id) === client.connection)
        #expect(client.connection.isOpen)
    }

    @Test("a connection the transport already authenticated is greeted with its identity")
    func greetsIdentity() throws {
        let hub = HubFixture.hub(authenticate: { _ in nil })
        let client = try hub.connectClient(info: ConnectionInfo(identity: "alice", metadata: ["agent": "test"]))

        let greeting = try #require(client.sink.last)
        #expect(greeting["authenticated"] == true)
        #expect(greeting["authentication_required"] == true)
        #expect(greeting["identity"] == "alice")
        #expect(client.connection.identity == "alice")
        #expect(client.connection.metadata == ["agent": "test"])
    }

    @Test("every connection gets its own id")
    func distinctIDs() throws {
        let hub = HubFixture.hub()
        let ids = try (0..<50).map { _ in try hub.connectClient().id }
        #expect(Set(ids).count == 50)
        #expect(hub.connections.count == 50)
    }

    @Test("beyond maxConnections connect returns nil, counts the refusal and greets nobody")
    func maxConnections() throws {
        let hub = HubFixture.hub(options: ConnectionHubOptions(maxConnections: 2))
        let first = try hub.connectClient()
        _ = try hub.connectClient()
        #expect(hub.isAtCapacity)

        let refusedSink = RecordingSink()
        #expect(hub.connect(refusedSink) == nil)
        #expect(hub.connect(RecordingSink()) == nil)
        #expect(refusedSink.frames.isEmpty)
        #expect(hub.stats.accepted == 2)
        #expect(hub.stats.refused == 2)
        #expect(hub.stats.connections == 2)

        // A slot frees up when a connection ends.
        hub.disconnect(first.connection)
        #expect(!hub.isAtCapacity)
        #expect(hub.connect(RecordingSink()) != nil)
        #expect(hub.stats.accepted == 3)
    }

    @Test("disconnect forgets the connection and its subscriptions, once")
    func disconnect() throws {
        let hub = HubFixture.hub()
        let client = try hub.connectClient()
        let other = try hub.connectClient()
        client.send(#"{"type":"subscribe","channel":"a"}"#)
        client.send(#"{"type":"subscribe","channel":"b"}"#)
        other.send(#"{"type":"subscribe","channel":"a"}"#)
        let disconnects = Locked(0)
        hub.onDisconnect { _, _ in disconnects.withLock { $0 += 1 } }

        hub.disconnect(client.connection, code: .normal)
        hub.disconnect(client.connection, code: .normal)

        #expect(disconnects.value == 1)
        #expect(!client.connection.isOpen)
        #expect(client.connection.channels.isEmpty)
        #expect(hub.connection(client.id) == nil)
        #expect(hub.subscribers(of: "a").map(\.id) == [other.id])
        #expect(hub.subscribers(of: "b").isEmpty)
        #expect(hub.stats.channels == 1)
        #expect(hub.stats.subscriptions == 1)
        // A publish no longer reaches it.
        client.sink.clear()
        #expect(hub.publish("after", on: "a") == 1)
        #expect(client.sink.frames.isEmpty)
    }

    @Test("hooks fire on connect, disconnect, valid messages and error frames")
    func hooks() throws {
        let hub = HubFixture.hub()
        let connected = Locked<[ConnectionID]>([])
        let disconnected = Locked<[String]>([])
        let messages = Locked<[String]>([])
        let errors = Locked<[String]>([])
        hub.onConnect { connection in connected.withLock { $0.append(connection.id) } }
        hub.onDisconnect { connection, code in
            disconnected.withLock { $0.append("\(connection.id):\(code.map { "\($0)" } ?? "none")") }
        }
        hub.onMessage { _, message in messages.withLock { $0.append(message.type) } }
        hub.onError { _, failure in errors.withLock { $0.append(failure.code.rawValue) } }

        let client = try hub.connectClient()
        #expect(connected.value == [client.id])

        client.send(#"{"type":"ping"}"#)
        client.send(#"{"type":"subscribe","channel":"c"}"#)
        client.send("not json")
        client.send(#"{"type":"bogus"}"#)
        #expect(messages.value == ["ping", "subscribe", "bogus"])  // the invalid one never reached the handlers
        #expect(errors.value == ["invalid_message", "unknown_type"])

        hub.disconnect(client.connection)
        let silent = try hub.connectClient()
        hub.fail(silent.connection, .framing("unmasked frame"))
        #expect(disconnected.value == ["\(client.id):none", "\(silent.id):1002"])
    }

    @Test("metadata can be set and removed per connection")
    func metadata() throws {
        let hub = HubFixture.hub()
        let client = try hub.connectClient(info: ConnectionInfo(remoteAddress: "10.0.0.1:5000", metadata: ["a": "1"]))
        client.connection.setMetadata("b", "2")
        client.connection.setMetadata("a", nil)
        #expect(client.connection.metadata == ["b": "2"])
        #expect(client.connection.remoteAddress == "10.0.0.1:5000")
    }

    @Test("stats count connections, channels, subscriptions, frames and refusals")
    func stats() throws {
        let hub = HubFixture.hub(options: ConnectionHubOptions(maxConnections: 3))
        let a = try hub.connectClient()
        let b = try hub.connectClient()
        a.send(#"{"type":"subscribe","channel":"x"}"#)
        a.send(#"{"type":"subscribe","channel":"y"}"#)
        b.send(#"{"type":"subscribe","channel":"x"}"#)
        b.send(#"{"type":"publish","channel":"x","data":1}"#)

        let stats = hub.stats
        #expect(stats.connections == 2)
        #expect(stats.channels == 2)
        #expect(stats.subscriptions == 3)
        #expect(stats.framesIn == 4)
        // 2 greetings + 3 subscribed + 2 messages.
        #expect(stats.framesOut == 7)
        #expect(stats.dropped == 0)
        #expect(stats.accepted == 2)
        #expect(stats.refused == 0)
        #expect(stats.activeStreams == 0)
        #expect(stats.retainedStreams == 0)
        #expect(a.sink.frames.count + b.sink.frames.count == 7)
    }

    @Test("shutdown closes every connection with 1001 and refuses new ones")
    func shutdown() throws {
        let hub = HubFixture.hub()
        let clients = try (0..<3).map { _ in try hub.connectClient() }
        let codes = Locked<[CloseCode?]>([])
        hub.onDisconnect { _, code in codes.withLock { $0.append(code) } }

        hub.shutdown()

        for client in clients {
            #expect(client.sink.closes == [RecordingSink.Close(code: .goingAway, reason: "server shutting down")])
            #expect(!client.connection.isOpen)
        }
        #expect(codes.value == [.goingAway, .goingAway, .goingAway])
        #expect(hub.connections.isEmpty)
        #expect(hub.isAtCapacity)
        let late = RecordingSink()
        #expect(hub.connect(late) == nil)
        #expect(late.frames.isEmpty)
        #expect(hub.stats.refused == 1)
    }

    @Test("run returns once shutdown is called")
    func runEndsOnShutdown() async throws {
        let hub = HubFixture.hub()
        let ended = Flag()
        let running = Task {
            await hub.run()
            ended.set()
        }
        _ = try hub.connectClient()
        hub.shutdown()
        try await waitUntil(timeout: .seconds(30), "run() to return") { ended.isSet }
        await running.value
        #expect(hub.connections.isEmpty)
    }

    @Test("cancelling run shuts the hub down")
    func runCancelled() async throws {
        let hub = HubFixture.hub()
        let client = try hub.connectClient()
        let running = Task { await hub.run() }
        running.cancel()
        await running.value
        #expect(client.sink.closeCode == .goingAway)
        #expect(hub.connect(RecordingSink()) == nil)
    }
}
