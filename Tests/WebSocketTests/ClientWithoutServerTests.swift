import StreamingApplication
import StreamingDomain
import StreamingTestSupport
import StreamingWebSocket
import Testing

/// What the client does when nothing answers: bounded queues, backoff, giving up, closing.
@Suite struct ClientWithoutServerTests {
    static func configuration(port: Int, maxAttempts: Int? = 3) -> WebSocketClient.Configuration {
        WebSocketClient.Configuration(
            url: "ws://127.0.0.1:\(port)/ws",
            reconnect: .exponential(maxAttempts: maxAttempts, initialDelay: .milliseconds(20), maxDelay: .milliseconds(50)),
            maxQueuedMessages: 3,
            requestTimeout: .seconds(30)
        )
    }

    @Test func queueFullIsATypedError() throws {
        let client = WebSocketClient(configuration: Self.configuration(port: 9))
        for index in 0..<3 { try client.publish(channel: "c", data: .int(index)) }
        #expect(client.queuedMessages == 3)
        #expect(throws: StreamingError.queueFull(capacity: 3)) { try client.publish(channel: "c", data: 3) }
        #expect(throws: StreamingError.queueFull(capacity: 3)) { try client.send(type: "custom") }
    }

    @Test func givesUpAfterMaxAttemptsWithAFinalError() async throws {
        let refusing = try Loopback.RefusingPort()  // kept bound for the whole test
        let port = refusing.port
        defer { withExtendedLifetime(refusing) {} }
        let client = WebSocketClient(configuration: Self.configuration(port: port))
        let attempts = Locked<[Int]>([])
        let disconnections = Locked<[Disconnection]>([])
        client.onReconnect { attempt in attempts.withLock { $0.append(attempt) } }
        client.onDisconnect { disconnection in disconnections.withLock { $0.append(disconnection) } }
        let stream = try client.startAgentStream(agent: "assistant", input: "Hi")

        let subscribing = Task { try await client.subscribe("news") }
        var thrown: StreamingError?
        do { try await client.run() } catch { thrown = error }

        let final = try #require(thrown)
        guard case .connection(let reason) = final else { Issue.record("unexpected \(final)"); return }
        #expect(reason.contains("gave up after 3 reconnect attempts"))
        #expect(attempts.value == [1, 2, 3])
        #expect(disconnections.value == [Disconnection(error: final, willReconnect: false)])
        // Everything waiting ends with the same error, and later calls throw it.
        await #expect(throws: final) { try await subscribing.value }
        await #expect(throws: final) { for try await _ in stream {} }
        #expect(throws: final) { try client.publish(channel: "news", data: 1) }
    }

    @Test func disabledReconnectFailsOnTheFirstRefusal() async throws {
        let refusing = try Loopback.RefusingPort()  // kept bound for the whole test
        let port = refusing.port
        defer { withExtendedLifetime(refusing) {} }
        let client = WebSocketClient(configuration: Self.configuration(port: port, maxAttempts: 0))
        let attempts = Locked(0)
        client.onReconnect { _ in attempts.withLock { $0 += 1 } }
        await #expect(throws: StreamingError.self) { try await client.run() }
        #expect(attempts.value == 0)
    }

    @Test func closeEndsRunWhileWaitingToReconnect() async throws {
        let refusing = try Loopback.RefusingPort()  // kept bound for the whole test
        let port = refusing.port
        defer { withExtendedLifetime(refusing) {} }
        var configuration = Self.configuration(port: port, maxAttempts: nil)
        configuration.reconnect = .exponential(maxAttempts: nil, initialDelay: .seconds(60), maxDelay: .seconds(60))
        let client = WebSocketClient(configuration: configuration)
        let attempts = Locked(0)
        client.onReconnect { _ in attempts.withLock { $0 += 1 } }
        let disconnections = Locked(0)
        client.onDisconnect { _ in disconnections.withLock { $0 += 1 } }
        let stream = try client.startAgentStream(agent: "assistant", input: "Hi")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            // The first connect fails at once; the client then waits up to a minute, unless closed.
            let started = ContinuousClock.now
            await client.close()
            try await group.waitForAll()
            #expect(ContinuousClock.now - started < .seconds(30))
        }
        #expect(attempts.value == 0)
        #expect(disconnections.value == 0)
        await #expect(throws: StreamingError.cancelled) { for try await _ in stream {} }
        #expect(throws: StreamingError.self) { try client.publish(channel: "c", data: 1) }
        // Closed by its owner: running again has nothing to do.
        try await client.run()
    }

    @Test func closeBeforeRunMakesRunReturn() async throws {
        let client = WebSocketClient(configuration: Self.configuration(port: 9))
        let stream = try client.startAgentStream(agent: "assistant", input: "Hi")
        await client.close()
        try await client.run()
        await #expect(throws: StreamingError.cancelled) { for try await _ in stream {} }
    }

    @Test func cancellingRunClosesTheClient() async throws {
        let refusing = try Loopback.RefusingPort()  // kept bound for the whole test
        let port = refusing.port
        defer { withExtendedLifetime(refusing) {} }
        var configuration = Self.configuration(port: port, maxAttempts: nil)
        configuration.reconnect = .exponential(maxAttempts: nil, initialDelay: .seconds(60), maxDelay: .seconds(60))
        let client = WebSocketClient(configuration: configuration)
        let task = Task { try await client.run() }
        task.cancel()
        try await task.value
        #expect(throws: StreamingError.self) { try client.publish(channel: "c", data: 1) }
    }
}
