import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Testing

@testable import StreamingApplication

@Suite("EventBus waitForEvent")
struct EventBusWaitTests {
    @Test("returns the first matching event emitted after the call")
    func returnsEvent() async throws {
        let bus = EventBus()
        bus.emit("user.login", data: "before")  // Emitted before the wait: not returned.
        let waiting = Task { try await bus.waitForEvent("user.login", timeout: .seconds(30)) }
        try await waitUntil("bus.stats.listeners == 1") { bus.stats.listeners == 1 }
        bus.emit("user.logout", data: "other topic")
        bus.emit("user.login", data: "first")
        bus.emit("user.login", data: "second")
        let event = try await waiting.value
        #expect(event.data == "first")
        #expect(bus.stats.listeners == 0)
    }

    @Test("waits on wildcard patterns")
    func wildcard() async throws {
        let bus = EventBus()
        let waiting = Task { try await bus.waitForEvent("job.*", timeout: .seconds(30)) }
        try await waitUntil("bus.stats.listeners == 1") { bus.stats.listeners == 1 }
        bus.emit("job.finished")
        #expect(try await waiting.value.topic == "job.finished")
        #expect(bus.stats.listeners == 0)
    }

    @Test("throws timeout after a short real timeout and removes its listener")
    func realTimeout() async throws {
        let bus = EventBus()
        bus.emit("never")
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: StreamingError.self) {
            try await bus.waitForEvent("never", timeout: .milliseconds(50))
        }
        do {
            _ = try await bus.waitForEvent("never", timeout: .milliseconds(50))
            Issue.record("expected a timeout")
        } catch let error as StreamingError {
            guard case .timeout = error else {
                Issue.record("expected .timeout, got \(error)")
                return
            }
        }
        #expect(clock.now - start >= .milliseconds(100))
        #expect(bus.stats.listeners == 0)
    }

    @Test("an event emitted before the deadline of a short timeout is returned")
    func beatsShortDeadline() async throws {
        let bus = EventBus()
        try bus.on("request") { _ in bus.emit("reply", data: "pong") }
        let waiting = Task { try await bus.waitForEvent("reply", timeout: .milliseconds(500)) }
        try await waitUntil("bus.stats.listeners == 2") { bus.stats.listeners == 2 }
        bus.emit("request")
        #expect(try await waiting.value.data == "pong")
        #expect(bus.stats.listeners == 1)
    }

    @Test("the timeout runs on the given clock")
    func manualClock() async throws {
        let bus = EventBus()
        let clock = ManualClock()
        let waiting = Task { try await bus.waitForEvent("t", timeout: .seconds(10), clock: clock) }
        try await waitUntil("clock.sleeperCount == 1") { clock.sleeperCount == 1 }
        clock.advance(by: .seconds(9))
        #expect(bus.stats.listeners == 1)
        clock.advance(by: .seconds(1))
        let result = await waiting.result
        #expect(throws: StreamingError.timeout("no \"t\" event within 10.0 seconds")) { try result.get() }
        #expect(bus.stats.listeners == 0)
        #expect(clock.sleeperCount == 0)
    }

    @Test("success cancels the timer and removes the listener")
    func successCleansUp() async throws {
        let bus = EventBus()
        let clock = ManualClock()
        let waiting = Task { try await bus.waitForEvent("t", timeout: .seconds(10), clock: clock) }
        try await waitUntil("clock.sleeperCount == 1 && bus.stats.listeners == 1") { clock.sleeperCount == 1 && bus.stats.listeners == 1 }
        bus.emit("t")
        _ = try await waiting.value
        #expect(bus.stats.listeners == 0)
        try await waitUntil("clock.sleeperCount == 0") { clock.sleeperCount == 0 }
    }

    @Test("cancelling the waiting task throws promptly and removes the listener")
    func cancellation() async throws {
        let bus = EventBus()
        let waiting = Task { try await bus.waitForEvent("t", timeout: .seconds(600)) }
        try await waitUntil("bus.stats.listeners == 1") { bus.stats.listeners == 1 }
        let clock = ContinuousClock()
        let start = clock.now
        waiting.cancel()
        let result = await waiting.result
        #expect(clock.now - start < .seconds(5))
        #expect(throws: StreamingError.cancelled) { try result.get() }
        #expect(bus.stats.listeners == 0)
    }

    @Test("a task cancelled before waiting throws at once and registers nothing")
    func alreadyCancelled() async throws {
        let bus = EventBus()
        let waiting = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await bus.waitForEvent("t", timeout: .seconds(600))
        }
        let result = await waiting.result
        #expect(throws: StreamingError.cancelled) { try result.get() }
        #expect(bus.stats.listeners == 0)
        #expect(bus.stats.topics == 0)
    }

    @Test("many concurrent waiters each get the event and leave nothing behind")
    func manyWaiters() async throws {
        let bus = EventBus()
        let count = 50
        let waiters = (0..<count).map { _ in
            Task { try await bus.waitForEvent("go", timeout: .seconds(30)) }
        }
        try await waitUntil("bus.stats.listeners == count") { bus.stats.listeners == count }
        bus.emit("go")
        for waiter in waiters { #expect(try await waiter.value.topic == "go") }
        #expect(bus.stats.listeners == 0)
    }
}
