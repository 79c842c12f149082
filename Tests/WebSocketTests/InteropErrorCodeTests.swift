import RAAFStreaming
import StreamingTestSupport
import StreamingWebSocket
import Testing

extension InteropTests {
    /// Every error code of the protocol, as an independent client (Python's `websockets`) meets it.
    @Suite("Error codes against Python websockets")
    struct ErrorCodes {
        /// A model slow enough that a stream is still running when the client acts on it.
        static let slowModel = SimulatedProvider(base: ScriptedModelProvider(), delay: .milliseconds(30))

        @Test func malformedMessagesUnknownTypesAndUnknownNames() async throws {
            try await TestServer.run { server in
                let output = try await PythonWebSockets.run("invalid_messages", url: server.url)
                #expect(output.status == 0, "\(output.transcript)")
            }
        }

        @Test func tooLargeIsAnsweredThenClosedWith1009() async throws {
            try await TestServer.run(hubOptions: ConnectionHubOptions(maxMessageSize: 4096)) { server in
                let output = try await PythonWebSockets.run("too_large", url: server.url, ["4096"])
                #expect(output.status == 0, "\(output.transcript)")
            }
        }

        @Test func rateLimitedPastTheBucket() async throws {
            try await TestServer.run(hubOptions: ConnectionHubOptions(messagesPerMinute: 5)) { server in
                let output = try await PythonWebSockets.run("rate_limited", url: server.url, ["5"])
                #expect(output.status == 0, "\(output.transcript)")
            }
        }

        @Test func unauthorizedAndForbiddenWithAuthenticationOn() async throws {
            let tokens = ["alice-token": "alice", "bob-token": "bob"]
            try await TestServer.run(authenticate: { tokens[$0] }) { server in
                let output = try await PythonWebSockets.run("authentication", url: server.url)
                #expect(output.status == 0, "\(output.transcript)")
                // Refused at the upgrade: never registered with the hub.
                #expect(server.hub.stats.accepted == 4)
            }
        }

        @Test func foreignOriginIsRefusedWith403() async throws {
            let options = WebSocketServerOptions(allowedOrigins: ["https://app.example"])
            try await TestServer.run(options: options) { server in
                let output = try await PythonWebSockets.run("origins", url: server.url, ["https://app.example"])
                #expect(output.status == 0, "\(output.transcript)")
            }
        }

        @Test func anotherPathIsRefusedWith404() async throws {
            try await TestServer.run { server in
                let output = try await PythonWebSockets.run("wrong_path", url: server.url)
                #expect(output.status == 0, "\(output.transcript)")
            }
        }

        @Test func serverBusyPastTheStreamsPerConnection() async throws {
            try await TestServer.run(
                hubOptions: ConnectionHubOptions(maxStreamsPerConnection: 1), provider: Self.slowModel
            ) { server in
                let output = try await PythonWebSockets.run(
                    "stream_limit", url: server.url, ["assistant", "Tell me about limits."])
                #expect(output.status == 0, "\(output.transcript)")
            }
        }

        @Test func internalErrorEndsAStreamWhoseRunFails() async throws {
            try await TestServer.run(provider: BreaksMidTurn()) { server in
                let output = try await PythonWebSockets.run("stream_failure", url: server.url, ["assistant", "Hello?"])
                #expect(output.status == 0, "\(output.transcript)")
                let result = try #require(output.result, "\(output.transcript)")
                #expect(result["chunks"]?.intValue == 3)
                #expect(result["end"]?["code"]?.stringValue == "internal_error")
                #expect(result["end"]?["seq"]?.intValue == 4)
                try await waitUntil("the run to be counted as failed") { server.hub.streams.stats.failed == 1 }
            }
        }

        @Test func cancelEndsARunningStreamWithCancelled() async throws {
            try await TestServer.run(provider: Self.slowModel) { server in
                let output = try await PythonWebSockets.run(
                    "cancel_stream", url: server.url, ["assistant", "Tell me about cancelling."])
                #expect(output.status == 0, "\(output.transcript)")
                let result = try #require(output.result, "\(output.transcript)")
                #expect((result["chunks"]?.intValue ?? 0) >= 3)
                #expect(result["end"]?["code"]?.stringValue == "cancelled")
                try await waitUntil("the run to end") { server.hub.streams.stats.cancelled == 1 }
                #expect(server.hub.stats.activeStreams == 0)
            }
        }
    }
}

/// A model that streams three words, then fails with an error the protocol has no code for.
struct BreaksMidTurn: ModelProvider {
    struct Broken: Error {}

    func stream(_ request: ModelRequest) async throws -> ModelResponseStream {
        let (deltas, continuation) = AsyncThrowingStream<ModelDelta, any Error>.makeStream()
        for word in ["Half ", "an ", "answer"] { continuation.yield(.text(word)) }
        continuation.finish(throwing: Broken())
        return ModelResponseStream(deltas)
    }
}
