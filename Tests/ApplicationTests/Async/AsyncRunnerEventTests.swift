import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Testing

@Suite("AsyncRunner task events")
struct AsyncRunnerEventTests {
    @Test("a running task can be watched as its event stream, from its first event, while it runs")
    func observeWhileRunning() async throws {
        let clock = ManualClock()
        let provider = SimulatedProvider(
            base: ScriptedTurns([textTurn(["one ", "two ", "three"])]),
            delay: .seconds(1),
            clock: clock
        )
        try await withPool(provider) { pool in
            let id = try pool.processAsync(agent, "count")
            // Let the first word out before anyone watches.
            try await clock.waitForSleepers(1)
            clock.advance(by: .seconds(1))
            try await waitUntil("the task to run") { pool.taskStatus(id) == .running }

            async let watched = collect(try pool.events(of: id))
            while pool.taskStatus(id)?.isSettled == false {
                try await waitUntil("the next delta or the end") {
                    clock.sleeperCount > 0 || pool.taskStatus(id)?.isSettled == true
                }
                clock.advance(by: .seconds(1))
            }
            let events = try await watched
            #expect(events.compactMap(\.content) == ["one ", "two ", "three"])
            #expect(events.map(\.seq) == Array(1...events.count))
            #expect(events.last?.typeName == "complete")
            // Once settled, a watcher gets the complete event alone.
            let late = try await collect(try pool.events(of: id))
            #expect(late.map(\.typeName) == ["complete"])
            #expect(late.first?.seq == events.last?.seq)
        }
    }

    @Test("the event stream of a failed or cancelled task throws its error")
    func observeFailure() async throws {
        let provider = GatedProvider()
        try await withPool(provider) { pool in
            let failing = try pool.processAsync(agent, "fail now")
            let cancelled = try pool.processAsync(agent, "held")
            let failingEvents = try pool.events(of: failing)
            let cancelledEvents = try pool.events(of: cancelled)
            provider.release("fail now")
            await #expect(throws: StreamingError.provider(status: 400, message: "bad request")) {
                try await collect(failingEvents)
            }
            try await waitUntil("the held run to start") { provider.inFlight == 1 }
            pool.cancelTask(cancelled)
            await #expect(throws: StreamingError.cancelled) { try await collect(cancelledEvents) }
            #expect(throws: StreamingError.notFound("task-99")) { try pool.events(of: TaskID(99)) }
        }
    }
}
