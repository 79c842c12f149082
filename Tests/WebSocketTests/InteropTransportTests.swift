import RAAFStreaming
import StreamingTestSupport
import StreamingWebSocket
import Testing

extension InteropTests {
    /// permessage-deflate, heartbeats and the connection limit, with independent clients.
    @Suite("Transport against Python websockets")
    struct Transport {
        @Test(arguments: [true, false])
        func compressionNegotiatedAndLargeMessagesRoundTrip(enabled: Bool) async throws {
            try await TestServer.run(options: WebSocketServerOptions(enableCompression: enabled)) { server in
                let output = try await PythonWebSockets.run("compression", url: server.url, [enabled ? "on" : "off"])
                #expect(output.status == 0, "\(output.transcript)")
            }
        }

        @Test func silentClientIsReapedByTheHeartbeat() async throws {
            try await TestServer.run(hubOptions: ConnectionHubOptions(heartbeatInterval: .milliseconds(200))) { server in
                try await BackgroundScenario.run("heartbeat_silent", url: server.url) { scenario in
                    try await waitUntil(timeout: .seconds(30), "the client to connect") { server.hub.stats.accepted == 1 }
                    try await waitUntil(timeout: .seconds(30), "the silent client to be closed") {
                        server.hub.stats.connections == 0
                    }
                    let output = try await scenario.finish()
                    #expect(output.status == 0, "\(output.transcript)")
                    let result = try #require(output.result, "\(output.transcript)")
                    #expect(result["code"]?.intValue == 1002)
                    #expect(result["reason"]?.stringValue == "heartbeat timeout")
                    // Pinged at every heartbeat until closed after two unanswered intervals.
                    #expect((result["pings"]?.intValue ?? 0) >= 2, "\(result)")
                }
            }
        }

        @Test func answeringClientStaysPastManyIntervals() async throws {
            try await TestServer.run(hubOptions: ConnectionHubOptions(heartbeatInterval: .milliseconds(200))) { server in
                // Ten intervals; the heartbeat closes a client silent for two.
                let output = try await PythonWebSockets.run("heartbeat_answered", url: server.url, ["2.0"])
                #expect(output.status == 0, "\(output.transcript)")
                #expect(server.hub.stats.accepted == 1)
            }
        }

        @Test func maxConnectionsRefusesTheNextWith503() async throws {
            try await TestServer.run(hubOptions: ConnectionHubOptions(maxConnections: 3)) { server in
                let output = try await PythonWebSockets.run("max_connections", url: server.url, ["3"])
                #expect(output.status == 0, "\(output.transcript)")
                #expect(server.hub.stats.refused >= 1)
            }
        }
    }
}
