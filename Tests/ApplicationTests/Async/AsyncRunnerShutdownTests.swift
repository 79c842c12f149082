import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Testing

@Suite("AsyncRunner shutdown")
struct AsyncRunnerShutdownTests {
    /// A running pool of two with five held tasks (two running, three queued) around `body`;
    /// returns once `run()` has ended.
    func withFiveHeldTasks(_ body: (AsyncRunner, GatedProvider, [TaskID]) async throws -> Void) async throws {
        let provider = GatedProvider()
        let pool = AsyncRunner(runner: AgentRunner(provider: provider), poolSize: 2, queueSize: 10, timeout: nil)
        async let running: Void = pool.run()
        let ids = try (0..<5).map { try pool.processAsync(agent, "job \($0)") }
        try await waitUntil("two runs in flight") { provider.inFlight == 2 }
        try await body(pool, provider, ids)
        await running
    }

    @Test("drain refuses new tasks and runs every queued and running one to its end")
    func drain() async throws {
        try await withFiveHeldTasks { pool, provider, ids in
            async let shutdown: Void = pool.shutdown(mode: .drain)
            try await waitUntil("the shutdown to begin") { pool.isShutDown }
            #expect(throws: StreamingError.shutDown("the async runner")) { try pool.processAsync(agent, "late") }
            provider.releaseAll()
            await shutdown
            #expect(ids.map { pool.taskStatus($0) } == Array(repeating: .completed, count: 5))
            #expect(pool.stats.submitted == 5)
        }
    }

    @Test("cancel settles queued tasks as cancelled and stops the running ones before returning")
    func cancel() async throws {
        try await withFiveHeldTasks { pool, provider, ids in
            await pool.shutdown(mode: .cancel)
            #expect(ids.map { pool.taskStatus($0) } == Array(repeating: .cancelled, count: 5))
            #expect(Set(provider.cancelledInputs) == ["job 0", "job 1"])
            #expect(provider.inFlight == 0)
            #expect(pool.stats.cancelled == 5)
        }
    }

    @Test("withRunning drains what its body submitted before it returns")
    func withRunningDrains() async throws {
        let provider = GatedProvider()
        provider.releaseAll()
        let pool = AsyncRunner(runner: AgentRunner(provider: provider), poolSize: 2, queueSize: 10, timeout: nil)
        let ids = try await pool.withRunning { pool in
            try (0..<6).map { try pool.processAsync(agent, "job \($0)") }
        }
        #expect(ids.map { pool.taskStatus($0) } == Array(repeating: .completed, count: 6))
    }
}
