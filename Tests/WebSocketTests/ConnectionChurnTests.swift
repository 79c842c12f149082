import Foundation
import NIOCore
import RAAFStreaming
import StreamingTestSupport
import Synchronization
import Testing

@testable import StreamingApplication
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
            config.websocket.heartbeatInterval = .milliseconds(250)
        }) { server in
            server.hub.onConnect { connection in
                tracked.add("Connection", connection)
                guard let sink = connection.sink as? WebSocketSink else { return }
                tracked.add("WebSocketSink", sink)
                // The hook runs on the connection's event loop, where the handler may be read.
                tracked.add("WebSocketConnection", sink.handler.value)
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
            // No room keeps a member whose connection is gone.
            let stats = try JSONSerialization.jsonObject(with: Data(try await server.get("/stats").text().utf8)) as? [String: Any]
            let rooms = try #require((stats?["chat"] as? [String: Any])?["rooms"] as? [[String: Any]])
            #expect(!rooms.isEmpty)
            #expect(rooms.allSatisfy { $0["participants"] as? Int == 0 }, "\(rooms)")
        }
    }
}

/// SSE followers and the Swift client give back what they held once they are gone.
@Suite("Followers that leave")
struct FollowerReleaseTests {
    @Test("an SSE follower that disconnects mid-stream, while the model is silent, leaves no reader behind")
    func sseFollowerLeaves() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: 4))
        try await HTTPTestServer.with(provider: model) { server in
            let poster = GatedStreamingTests.SSEFollower(
                try await server.post("/v1/agents/assistant/stream", json: HTTPTestServer.requestBody(input: "hi", id: "leaving")))
            let stream = try #require(server.hub.streams.stream("leaving"))
            let follower = GatedStreamingTests.SSEFollower(try await server.get("/v1/streams/leaving"))
            model.release()
            try await waitUntil("both readers to hold the first token") {
                model.holds(poster.text, 1) && model.holds(follower.text, 1)
            }
            try await waitUntil("both readers to wait for the next frame") { stream.waitingReaders == 2 }
            follower.task.cancel()
            // The model says nothing more until the follower's reader is gone.
            try await waitUntil("the disconnected follower's reader to be released") { stream.waitingReaders == 1 }
            for _ in 1..<model.tokens.count { model.release() }
            try await poster.task.value
            #expect(poster.text == model.answer)
        }
    }

    @Test("a WebSocketClient is freed once closed")
    func clientFreed() async throws {
        try await HTTPTestServer.with { server in
            weak var released: WebSocketClient?
            do {
                let client = WebSocketClient(
                    configuration: .test(url: server.baseURL.replacingOccurrences(of: "http", with: "ws") + "/ws"))
                released = client
                try await running(client) {
                    try await waitUntil("the client to connect") { server.hub.stats.connections == 1 }
                    try await client.subscribe("news")
                }
            }
            try await waitUntil("the server to see the client leave") { server.hub.stats.connections == 0 }
            #expect(released == nil, "the closed client is freed")
        }
    }
}
