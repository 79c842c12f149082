import RAAFStreaming
import StreamingTestSupport
import StreamingWebSocket
import Testing

/// A draining server closes its idle clients with 1012 (service restart): the client comes
/// back at once instead of waiting its backoff.
@Suite struct ClientRestartTests {
    @Test func noWaitBeforeTheFirstAttemptAfter1012Only() {
        let policy = WebSocketClient.ReconnectPolicy.exponential(initialDelay: .seconds(3600), maxDelay: .seconds(3600))
        var random = SplitMix64(seed: 0x5EED)
        let first = policy.delay(beforeAttempt: 1, afterClose: .serviceRestart, using: &random)
        #expect(first == .zero)
        // Drawn from [0, 1 h]: below a second once in 3600 draws; 20 draws all below is a bug.
        var others: [Duration] = []
        for index in 0..<20 {
            others.append(
                policy.delay(beforeAttempt: index < 10 ? 2 : 1, afterClose: index < 10 ? .serviceRestart : .goingAway, using: &random))
        }
        #expect(others.contains { $0 > .seconds(1) })
    }

    @Test func aClientClosedWith1012ReconnectsWithoutItsBackoff() async throws {
        try await TestServer.run { server in
            // A backoff of up to an hour: only the 1012 rule brings it back within the test.
            var configuration = WebSocketClient.Configuration.test(url: server.url)
            configuration.reconnect = .exponential(initialDelay: .seconds(3600), maxDelay: .seconds(3600))
            let client = WebSocketClient(configuration: configuration)
            let probe = ClientProbe(client)
            try await running(client) {
                try await waitUntil("the connected frame") { client.clientID != nil }
                let id = try #require(client.clientID)
                let first = try #require(server.hub.connection(ConnectionID(id)))
                server.hub.quiesce(first)  // no drain running: closed with 1012 at once
                try await waitUntil(timeout: .seconds(20), "a new connection") {
                    probe.connects.value.count == 2 && client.clientID != nil
                }
                #expect(probe.disconnections.value.first?.closeCode == .serviceRestart)
                #expect(probe.disconnections.value.first?.willReconnect == true)
            }
        }
    }
}
