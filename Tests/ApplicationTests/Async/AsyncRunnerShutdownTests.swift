import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Testing

@Suite("AsyncRunner shutdown")
struct AsyncRunnerShutdownTests {
    func makePool(_ provider: GatedProvider) -> AsyncRunner {
        AsyncRunner(runner: AgentRunner(provider: provider), poolSize: 2, queueSize: 10, timeout: nil)
    }

    @Test("drain refuses new tasks and runs every queued and running one to its end")
    func drain() async throws {
        let provider = GatedProvider()
        let pool = makePool(provider)
        async let running: Void = pool.run()
        var ids: [TaskID] = []
        for index in 0..<5 { ids.append(try pool.processAsync(agent, "job \(index)")) }
        try await waitUntil("two runs in flight") { provider.inFlight == 2 }

        async let shutdown: Void = pool.shutdown(mode: .drain)
        try await waitUntil("new tasks to be refused") {
            (try? pool.processAsync(agent, "late")) == nil
        }
        #expect(throws: StreamingError.shutDown("the async runner")) { try pool.processAsync(agent, "late") }
        provider.releaseAll()
        await shutdown
        await running
        #expect(ids.map { pool.taskStatus($0) } == Array(repeating: .completed, count: 5))
    }

    @Test("cancel settles queued tasks as cancelled and stops the running ones before returning")
    func cancel() async throws {
        let provider = GatedProvider()
        let pool = makePool(provider)
        async let running: Void = pool.run()
        var ids: [TaskID] = []
        for index in 0..<5 { ids.append(try pool.processAsync(agent, "job \(index)")) }
        try await waitUntil("two runs in flight") { provider.inFlight == 2 }

        await pool.shutdown(mode: .cancel)
        await running
        #expect(ids.map { pool.taskStatus($0) } == Array(repeating: .cancelled, count: 5))
        #expect(Set(provider.cancelledInputs) == ["job 0", "job 1"])
        #expect(provider.inFlight == 0)
        #expect(pool.stats.cancelled == 5)
    }

    @Test("withRunning drains what its body submitted before it returns")
    func withRunningDrains() async throws {
        let provider = GatedProvider()
        provider.releaseAll()
        let pool = makePool(provider)
        let ids = try await pool.withRunning { pool in
            try (0..<6).map { try pool.processAsync(agent, "job \($0)") }
        }
        #expect(ids.map { pool.taskStatus($0) } == Array(repeating: .completed, count: 6))
    }
}
