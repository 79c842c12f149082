import RAAFStreaming
import StreamingTestSupport
import StreamingWebSocket
import Testing

extension InteropTests {
    /// Close codes, with a raw RFC 6455 client (Interop/rawws.py) that breaks the protocol on
    /// purpose where `websockets` would refuse to, and with `websockets` where it behaves.
    ///
    /// 1008 (a refused token) is in ``InteropTests/ErrorCodes``; 1011 (a failure of the server's
    /// own handling) is in ``InteropTests/FrameLayer``: the hub has no such failure to cause.
    @Suite("Close codes against a raw client")
    struct CloseCodes {
        @Test func eachViolationClosesWithItsCode() async throws {
            try await TestServer.run(hubOptions: ConnectionHubOptions(maxMessageSize: 4096)) { server in
                let output = try await PythonWebSockets.run("raw_violations", url: server.url, ["4096"])
                #expect(output.status == 0, "\(output.transcript)")
                let cases = try #require(output.result?["cases"], "\(output.transcript)")
                guard case .array(let list) = cases else { throw JSONValue.NotAnArray() }
                let codes = Dictionary(uniqueKeysWithValues: list.map { ($0["case"]!.stringValue!, $0["code"]!.intValue!) })
                #expect(
                    codes == [
                        "invalid_utf8": 1007, "unmasked": 1002, "binary": 1003, "oversized": 1009,
                        "oversized_in_fragments": 1009, "continuation_without_start": 1002,
                        "new_message_inside_fragmented": 1002, "fragmented_control_frame": 1002,
                        "long_control_frame": 1002, "reserved_bit": 1002, "unknown_opcode": 1002,
                    ])
                try await waitUntil("every violator to be gone") { server.hub.stats.connections == 0 }
            }
        }

        @Test func rawClientBehavingIsServed() async throws {
            try await TestServer.run { server in
                let output = try await PythonWebSockets.run("raw_well_behaved", url: server.url)
                #expect(output.status == 0, "\(output.transcript)")
            }
        }

        @Test func serverShutdownClosesWith1001() async throws {
            try await TestServer.run { server in
                try await BackgroundScenario.run("server_shutdown", url: server.url) { scenario in
                    try await waitUntil(timeout: .seconds(30), "the client to connect") { server.hub.stats.connections == 1 }
                    server.hub.shutdown()
                    let output = try await scenario.finish()
                    #expect(output.status == 0, "\(output.transcript)")
                    #expect(output.result?["code"]?.intValue == 1001)
                    #expect(output.result?["reason"]?.stringValue == "server shutting down")
                }
            }
        }

        /// Twenty upgrades at once against a limit of two: two connect; the others are refused
        /// with HTTP 503 at the upgrade, or, if they raced past that check, with `server_busy`
        /// and close 1013 right after it.
        @Test func overCapacityIs503OrElse1013() async throws {
            try await TestServer.run(hubOptions: ConnectionHubOptions(maxConnections: 2)) { server in
                let output = try await PythonWebSockets.run("capacity_race", url: server.url, ["20"])
                #expect(output.status == 0, "\(output.transcript)")
                let counts = try #require(output.result, "\(output.transcript)")
                let connected = counts["connected"]?.intValue ?? 0
                let refused = (counts["503"]?.intValue ?? 0) + (counts["1013"]?.intValue ?? 0)
                #expect(connected == 2 && refused == 18, "\(counts)")
                #expect(server.hub.stats.refused == 18)
            }
        }
    }
}

extension JSONValue {
    struct NotAnArray: Error {}
}

extension InteropTests {
    /// The frame layer under a consumer other than the hub (``WebSocketConsumer``).
    @Suite("Frame layer against a raw client")
    struct FrameLayer {
        /// A consumer that throws (the server's own handling failed) ends its connection with
        /// 1011, after serving what came before; it does not hang.
        @Test func failingConsumerClosesWith1011() async throws {
            try await ConsumerServer.run(consumer: { FailingEchoConsumer() }) { server in
                let output = try await PythonWebSockets.run("consumer_failure", url: server.url)
                #expect(output.status == 0, "\(output.transcript)")
                #expect(output.result?["code"]?.intValue == 1011)
                #expect(output.result?["reason"]?.stringValue == "internal error")
            }
        }
    }
}
