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
