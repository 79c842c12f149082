import Foundation
import NIOCore
import RAAFStreaming
import StreamingTestSupport
import Synchronization
import Testing

@testable import StreamingWebSocket

/// A closed connection gives back everything: after connections that subscribe, stream,
/// join a room and end (cleanly, by a cut, or silent until the heartbeat reaps them), the
/// server's objects for them are gone and the hub holds nothing for them.
@Suite("Connection churn", .serialized)
struct ConnectionChurnTests {
    /// Weak references to what the server made for each connection.
    final class Tracked: Sendable {
        // A weak reference is read and cleared atomically by the Swift runtime; the array is
        // behind the lock.
        struct Weak: @unchecked Sendable {
            weak var object: AnyObject?
        }

        let refs = Locked<[(String, Weak)]>([])

        func add(_ name: String, _ object: AnyObject) {
            refs.withLock { $0.append((name, Weak(object: object))) }
        }

        /// The kinds of object still alive, with their count.
        var alive: [String: Int] {
            refs.value.reduce(into: [:]) { counts, entry in
                if entry.1.object != nil { counts[entry.0, default: 0] += 1 }
            }
        }
    }

    @Test("connections that subscribe, stream, join a room and close leave nothing behind", .needsPythonWebSockets)
    func churnLeavesNothing() async throws {
        let tracked = Tracked()
        try await HTTPTestServer.with({ config in
            config.websocket.heartbeatInterval = .milliseconds(100)
        }) { server in
            server.hub.onConnect { connection in
                tracked.add("Connection", connection)
                guard let sink = connection.sink as? WebSocketSink else { return }
                tracked.add("WebSocketSink", sink)
                // The hook runs on the connection's event loop, where the handler may be read.
                tracked.add("WebSocketConnectionHandler", sink.handler.value)
                tracked.add("Channel", sink.channel as AnyObject)
            }
            let url = server.baseURL.replacingOccurrences(of: "http", with: "ws") + "/ws"
            let output = try await PythonWebSockets.run("churn", url: url, ["60"])
            #expect(output.status == 0, "\(output.transcript)")
            #expect(tracked.refs.value.count == 4 * 61, "60 cycles and the room's creator")

            try await waitUntil("the hub to forget every connection") {
                server.hub.stats.connections == 0 && server.hub.stats.subscriptions == 0
            }
            // Every object the server made for a connection is freed once it has closed.
            try? await waitUntil("every per-connection object to be freed") { tracked.alive.isEmpty }
            #expect(tracked.alive == [:], "still alive after every connection closed")
            let stats = try await server.get("/stats").text()
            #expect(stats.contains("\"participants\":0") || !stats.contains("churn-room"), "\(stats)")
        }
    }
}
