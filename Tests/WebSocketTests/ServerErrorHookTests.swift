import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import RAAFStreaming
import StreamingTestSupport
import Testing

/// The server's error hook (`ConnectionHub.onError`) on a running ``RealtimeServer``, for the
/// failures that end a connection: a protocol violation, a heartbeat timeout, a client that
/// vanishes while the server streams to it. The clients are independent of this project:
/// Python's raw RFC 6455 client (Interop/rawws.py) and Hummingbird's WebSocket client.
@Suite("The error hook on a running server", .serialized, .needsPythonWebSockets)
struct ServerErrorHookTests {
    /// What the hook hears, and which connections it names.
    final class Heard: Sendable {
        let failures = Locked<[ProtocolFailure]>([])
        let connections = Locked<[ConnectionID]>([])
        let connected = Locked<[ConnectionID]>([])

        init(_ server: HTTPTestServer) {
            server.hub.onConnect { [connected] connection in connected.withLock { $0.append(connection.id) } }
            server.hub.onError { [failures, connections] connection, failure in
                failures.withLock { $0.append(failure) }
                connections.withLock { $0.append(connection.id) }
            }
        }

        /// Waits until the hook fired and the hub forgot every connection (the hook fires
        /// before the hub lets go of the connection, so nothing can follow).
        func settle(_ server: HTTPTestServer) async throws {
            try await waitUntil("the error hook to fire") { !self.failures.value.isEmpty }
            try await waitUntil("the hub to forget the connection") { server.hub.stats.connections == 0 }
        }
    }

    @Test("a text message that is not UTF-8: the hook hears invalid_message with close code 1007, once")
    func invalidUTF8() async throws {
        try await HTTPTestServer.with { server in
            let heard = Heard(server)
            let output = try await PythonWebSockets.run("raw_violation", url: server.webSocketURL, ["invalid_utf8"])
            #expect(output.status == 0, "\(output.transcript)")
            #expect(output.result?["code"]?.intValue == 1007, "\(output.transcript)")
            try await heard.settle(server)
            #expect(heard.failures.value == [ProtocolFailure(.invalidMessage, "text messages must be UTF-8", closeCode: .invalidPayload)])
            #expect(heard.connections.value == heard.connected.value)
        }
    }

    @Test("an unmasked client frame: the hook hears protocol_error with the detail and close code 1002, once")
    func brokenFraming() async throws {
        try await HTTPTestServer.with { server in
            let heard = Heard(server)
            let output = try await PythonWebSockets.run("raw_violation", url: server.webSocketURL, ["unmasked"])
            #expect(output.status == 0, "\(output.transcript)")
            #expect(output.result?["code"]?.intValue == 1002, "\(output.transcript)")
            try await heard.settle(server)
            #expect(
                heard.failures.value == [
                    ProtocolFailure(.protocolError, "protocol error: client frames must be masked", closeCode: .protocolError)
                ])
            #expect(heard.connections.value == heard.connected.value)
        }
    }

    @Test("a binary message: the hook hears invalid_message with close code 1003")
    func binaryMessage() async throws {
        try await HTTPTestServer.with { server in
            let heard = Heard(server)
            try await WebSocketClient.connect(url: server.webSocketURL, logger: Logger(label: "ws-test-client")) { inbound, outbound, _ in
                try await outbound.write(.binary(ByteBuffer(bytes: [1, 2, 3])))
                for try await _ in inbound.messages(maxSize: 1 << 20) {}
            }
            try await heard.settle(server)
            #expect(
                heard.failures.value == [
                    ProtocolFailure(
                        .invalidMessage, "binary messages are not supported; send JSON text", closeCode: .unsupportedData)
                ])
        }
    }

    @Test("a client that stops answering pings: the hook hears heartbeat_timeout with close code 1002, once")
    func heartbeatTimeout() async throws {
        try await HTTPTestServer.with({ $0.websocket.heartbeatInterval = .milliseconds(200) }) { server in
            let heard = Heard(server)
            try await BackgroundScenario.run("heartbeat_silent", url: server.webSocketURL) { scenario in
                try await heard.settle(server)
                let output = try await scenario.finish()
                #expect(output.status == 0, "\(output.transcript)")
                // What the client was told matches what the hook heard.
                #expect(output.result?["code"]?.intValue == 1002, "\(output.transcript)")
                #expect(output.result?["reason"]?.stringValue == "heartbeat timeout", "\(output.transcript)")
            }
            #expect(
                heard.failures.value == [
                    ProtocolFailure(.heartbeatTimeout, "no answer to the last two pings", closeCode: .protocolError)
                ])
            #expect(heard.connections.value == heard.connected.value)
        }
    }

    /// The client reads the stream's first frame, then its socket is reset (SO_LINGER 0, no
    /// close frame) while the server goes on streaming to it: the server's next read or write
    /// fails, and the hook hears `connection_lost` with that reason and no close code (none
    /// could be sent). The stream does not stop with its client: it runs to its end and is
    /// kept for a later `resume`.
    @Test("a client that vanishes (TCP reset) while the server streams: the hook hears connection_lost, once")
    func vanishedMidStream() async throws {
        let failure = try await vanishMidStream(how: "reset")
        // The failed read's own error ("Connection reset by peer"), or, when a write or the
        // socket's reset came first, the server's own words.
        #expect(failure?.message.localizedCaseInsensitiveContains("reset") == true, "\(String(describing: failure))")
    }

    /// The same with an orderly TCP close instead of a reset: no closing handshake either (the
    /// 1006 of RFC 6455), so the peer is gone just the same.
    @Test("a client that closes its socket without a close frame while the server streams: connection_lost, once")
    func cutMidStream() async throws {
        let failure = try await vanishMidStream(how: "fin")
        #expect(failure?.message == "the peer closed the TCP connection without a close frame")
    }

    /// Runs `vanish_mid_stream` against a gated model; returns what the hook heard.
    private func vanishMidStream(how: String) async throws -> ProtocolFailure? {
        var heardFailure: ProtocolFailure?
        let model = GatedModel(tokens: GatedModel.tokens(count: 200))
        try await HTTPTestServer.with(provider: model) { server in
            let heard = Heard(server)
            try await BackgroundScenario.run("vanish_mid_stream", url: server.webSocketURL, ["vanish-1", how]) { scenario in
                model.release()
                let output = try await scenario.finish()
                #expect(output.status == 0, "\(output.transcript)")
                // The client is gone; the stream outlives it (the hub only unfollows), so the
                // model goes on and the server goes on writing until it notices.
                model.releaseAll()
                try await heard.settle(server)
            }
            let failures = heard.failures.value
            #expect(failures.map(\.code) == [.connectionLost], "\(failures)")
            #expect(failures.first?.closeCode == nil)
            #expect(failures.first?.message.isEmpty == false)
            #expect(heard.connections.value == heard.connected.value)
            try await waitUntil("the stream to run to its end") { server.hub.streams.stats.active == 0 }
            let stats = server.hub.streams.stats
            #expect(stats.completed == 1, "the stream completed for a later resume: \(stats)")
            #expect(stats.cancelled == 0 && stats.failed == 0, "\(stats)")
            heardFailure = failures.first
        }
        return heardFailure
    }

    @Test("a client that ends with a closing handshake is no failure: the hook stays silent")
    func cleanCloseIsSilent() async throws {
        try await HTTPTestServer.with { server in
            let heard = Heard(server)
            try await WebSocketClient.connect(url: server.webSocketURL, logger: Logger(label: "ws-test-client")) { inbound, _, _ in
                // Read the greeting, then return: the client closes with 1000.
                for try await _ in inbound.messages(maxSize: 1 << 20) { break }
            }
            try await waitUntil("the hub to forget the connection") {
                server.hub.stats.connections == 0 && heard.connected.value.count == 1
            }
            #expect(heard.failures.value == [])
        }
    }
}
