import StreamingApplication
import StreamingDomain
import StreamingTestSupport
import Testing

@Suite("ConnectionHub heartbeat")
struct HubHeartbeatTests {
    @Test("a silent connection is pinged twice, then closed with 1002 on the third heartbeat and removed")
    func silentConnectionCloses() throws {
        let hub = HubFixture.hub()
        let silent = try hub.connectClient()
        silent.send(#"{"type":"subscribe","channel":"c"}"#)
        let codes = Locked<[CloseCode?]>([])
        hub.onDisconnect { _, code in codes.withLock { $0.append(code) } }

        hub.heartbeat()
        hub.heartbeat()
        #expect(silent.sink.pings == 2)
        #expect(silent.sink.closes.isEmpty)
        #expect(hub.connection(silent.id) != nil)

        hub.heartbeat()
        #expect(silent.sink.closes == [RecordingSink.Close(code: .protocolError, reason: "heartbeat timeout")])
        #expect(silent.sink.pings == 2)
        #expect(hub.connection(silent.id) == nil)
        #expect(hub.subscribers(of: "c").isEmpty)
        #expect(codes.value == [.protocolError])

        // Gone: later heartbeats neither ping nor close it again.
        hub.heartbeat()
        #expect(silent.sink.pings == 2)
        #expect(silent.sink.closes.count == 1)
    }

    @Test("a connection that answers every ping survives")
    func answeringConnectionSurvives() throws {
        let hub = HubFixture.hub()
        let alive = try hub.connectClient()
        let silent = try hub.connectClient()

        for _ in 1...10 {
            hub.heartbeat()
            hub.heard(from: alive.connection)  // the pong
        }

        #expect(alive.sink.pings == 10)
        #expect(alive.sink.closes.isEmpty)
        #expect(hub.connection(alive.id) != nil)
        #expect(silent.sink.closeCode == .protocolError)
        #expect(hub.connections.map(\.id) == [alive.id])
    }

    @Test("any message counts as a sign of life")
    func messagesCount() throws {
        let hub = HubFixture.hub()
        let chatty = try hub.connectClient()
        for _ in 1...5 {
            hub.heartbeat()
            chatty.send(#"{"type":"publish","channel":"c","data":1}"#)
        }
        #expect(chatty.sink.closes.isEmpty)
        #expect(hub.connection(chatty.id) != nil)
    }

    @Test("a client heard once is closed two heartbeats after the one it answered, not before")
    func lateSilence() throws {
        let hub = HubFixture.hub()
        let client = try hub.connectClient()
        hub.heartbeat()
        hub.heard(from: client.connection)
        hub.heartbeat()
        hub.heartbeat()
        #expect(client.sink.closes.isEmpty)
        hub.heartbeat()
        #expect(client.sink.closeCode == .protocolError)
    }

    @Test("a connection made after some heartbeats gets its own grace period")
    func lateJoiner() throws {
        let hub = HubFixture.hub()
        for _ in 1...5 { hub.heartbeat() }
        let client = try hub.connectClient()
        hub.heartbeat()
        hub.heartbeat()
        #expect(client.sink.closes.isEmpty)
        #expect(client.sink.pings == 2)
        hub.heartbeat()
        #expect(client.sink.closeCode == .protocolError)
    }

    @Test("run() drives heartbeats at the configured interval")
    func runHeartbeats() async throws {
        let hub = HubFixture.hub(options: ConnectionHubOptions(heartbeatInterval: .milliseconds(20)))
        let silent = try hub.connectClient()
        try await withRunningHub(hub) {
            try await waitUntil(timeout: .seconds(30), "the silent connection to time out") {
                silent.sink.closeCode == .protocolError
            }
        }
        #expect(silent.sink.pings == 2)
        #expect(hub.connection(silent.id) == nil)
    }
}

@Suite("ConnectionHub error hook: connection-level failures")
struct HubConnectionFailureTests {
    @Test("a heartbeat timeout, a protocol violation and a lost transport reach onError with the reason and close code")
    func connectionFailures() throws {
        let hub = HubFixture.hub()
        let failures = Locked<[ProtocolFailure]>([])
        hub.onError { _, failure in failures.withLock { $0.append(failure) } }

        let silent = try hub.connectClient()
        for _ in 0..<3 { hub.heartbeat() }
        #expect(failures.value.map(\.code) == [.heartbeatTimeout])
        #expect(failures.value.last?.closeCode == .protocolError)
        #expect(failures.value.last?.message == "no answer to the last two pings")
        #expect(hub.connection(silent.id) == nil)

        let breaker = try hub.connectClient()
        hub.fail(breaker.connection, .framing("reserved bits set"))
        #expect(failures.value.last?.code == .protocolError)
        #expect(failures.value.last?.closeCode == .protocolError)
        #expect(failures.value.last?.message == "protocol error: reserved bits set")

        let large = try hub.connectClient()
        hub.fail(large.connection, .messageTooLarge(limit: 10))
        #expect(failures.value.last?.code == .tooLarge)
        #expect(failures.value.last?.closeCode == .messageTooBig)

        let gone = try hub.connectClient()
        hub.lost(gone.connection, reason: "write failed: Connection reset by peer")
        #expect(failures.value.last?.code == .connectionLost)
        #expect(failures.value.last?.closeCode == nil)
        #expect(failures.value.last?.message == "write failed: Connection reset by peer")
        #expect(hub.connection(gone.id) == nil)
        // A connection already gone is not reported twice.
        hub.lost(gone.connection, reason: "again")
        hub.fail(large.connection, .invalidUTF8)
        #expect(failures.value.count == 4)
    }
}
