import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Synchronization
import Testing

/// Runs `body` with a running pool over `provider`, shutting it down (cancelling) at the end.
func withPool(
    _ provider: any ModelProvider,
    poolSize: Int = 2,
    queueSize: Int = 10,
    timeout: Duration? = nil,
    retainedTasks: Int = 10_000,
    clock: any Clock<Duration> = ContinuousClock(),
    jitter: @escaping @Sendable (Duration) -> Duration = { $0 },
    _ body: (AsyncRunner) async throws -> Void
) async throws {
    let pool = AsyncRunner(
        runner: AgentRunner(provider: provider),
        poolSize: poolSize,
        queueSize: queueSize,
        timeout: timeout,
        retainedTasks: retainedTasks,
        clock: clock,
        jitter: jitter
    )
    try await pool.withRunning(shutdown: .cancel, body)
}

let agent = Agent(name: "worker")

@Suite("AsyncRunner")
struct AsyncRunnerTests {
    @Test("never runs more than poolSize at once, queues queueSize more and refuses the next with queueFull")
    func poolAndQueueBounds() async throws {
        let provider = GatedProvider()
        try await withPool(provider, poolSize: 3, queueSize: 4) { pool in
            var ids: [TaskID] = []
            for index in 0..<7 { ids.append(try pool.processAsync(agent, "job \(index)")) }
            #expect(throws: StreamingError.queueFull(capacity: 4)) { try pool.processAsync(agent, "one too many") }

            try await waitUntil("three runs in flight") { provider.inFlight == 3 }
            let stats = pool.stats
            #expect(stats.active == 3)
            #expect(stats.queued == 4)
            #expect(stats.rejected == 1)
            #expect(ids.prefix(3).map { pool.taskStatus($0) } == [.running, .running, .running])
            #expect(ids.suffix(4).map { pool.taskStatus($0) } == [.pending, .pending, .pending, .pending])

            provider.releaseAll()
            let reports = await pool.waitForTasks(ids, timeout: .seconds(30))
            #expect(reports.map(\.status) == Array(repeating: .completed, count: 7))
            #expect(reports.map(\.id) == ids)
            #expect(reports[4].outcome?.result?.finalOutput == "answer to job 4")
            #expect(provider.maxInFlight == 3)
            #expect(pool.stats.active == 0)
            // Slots are free again.
            #expect(try await pool.process(agent, "after").finalOutput == "answer to after")
        }
    }

    @Test("waitForTasks returns as soon as every task has settled, failures included, not at its timeout")
    func waitSettlesOnFailure() async throws {
        let clock = ManualClock()  // never advanced: the wait's deadline cannot be what ends it
        let provider = GatedProvider()
        provider.releaseAll()
        try await withPool(provider, clock: clock) { pool in
            let ok = try pool.processAsync(agent, "fine")
            let bad = try pool.processAsync(agent, "fail please")
            let reports = await pool.waitForTasks([ok, bad], timeout: .seconds(3600))
            #expect(reports.map(\.status) == [.completed, .failed])
            guard case .failed(let error)? = reports[1].outcome else {
                Issue.record("not failed: \(String(describing: reports[1].outcome))")
                return
            }
            #expect(error as? StreamingError == .provider(status: 400, message: "bad request"))
            await #expect(throws: StreamingError.provider(status: 400, message: "bad request")) {
                try await pool.process(agent, "fail again")
            }
        }
    }

    @Test("waitForTasks reports tasks still running at its deadline without an outcome, and unknown ids as not found")
    func waitTimesOut() async throws {
        let clock = ManualClock()
        let provider = GatedProvider()
        try await withPool(provider, clock: clock) { pool in
            let held = try pool.processAsync(agent, "held")
            async let reports = pool.waitForTasks([held, TaskID(999)], timeout: .seconds(5))
            try await clock.waitForSleepers(1)
            clock.advance(by: .seconds(5))
            let found = await reports
            #expect(found[0].status == .running)
            #expect(found[0].outcome == nil)
            #expect(found[1].status == .failed)
            #expect(pool.taskStatus(held) == .running)
        }
    }

    @Test("cancelTask stops a running task and its model request, and takes a queued one off the queue")
    func cancelStopsTheRun() async throws {
        let provider = GatedProvider()
        try await withPool(provider, poolSize: 1) { pool in
            let running = try pool.processAsync(agent, "running")
            let queued = try pool.processAsync(agent, "queued")
            try await waitUntil("the first run to start") { provider.inFlight == 1 }

            #expect(pool.cancelTask(queued))
            #expect(pool.taskStatus(queued) == .cancelled)
            #expect(pool.cancelTask(running))
            let reports = await pool.waitForTasks([running], timeout: .seconds(30))
            #expect(reports[0].status == .cancelled)
            #expect(provider.cancelledInputs == ["running"])
            #expect(provider.startedInputs == ["running"])  // the queued one never reached the model
            #expect(!pool.cancelTask(running))
            #expect(!pool.cancelTask(TaskID(12345)))
            let stats = pool.stats
            #expect(stats.cancelled == 2)
            #expect(stats.active == 0)
        }
    }

    @Test("cancelling the caller of process cancels its task")
    func callerCancellation() async throws {
        let provider = GatedProvider()
        try await withPool(provider) { pool in
            let caller = Task { try await pool.process(agent, "abandoned") }
            try await waitUntil("the run to start") { provider.inFlight == 1 }
            caller.cancel()
            await #expect(throws: StreamingError.cancelled) { try await caller.value }
            #expect(provider.cancelledInputs == ["abandoned"])
            #expect(pool.stats.cancelled == 1)
        }
    }

    @Test("a task that runs past its timeout is stopped as timedOut; a submission may set its own timeout")
    func perTaskTimeout() async throws {
        let clock = ManualClock()
        let provider = GatedProvider()
        try await withPool(provider, timeout: .seconds(10), clock: clock) { pool in
            let slow = try pool.processAsync(agent, "slow")
            let quick = try pool.processAsync(agent, "quick", timeout: .seconds(2))
            try await waitUntil("both runs in flight") { provider.inFlight == 2 }
            // One keeper sleeps for every deadline of the pool.
            try await clock.waitForSleepers(1)
            clock.advance(by: .seconds(2))
            #expect(await pool.waitForTasks([quick], timeout: .seconds(60))[0].status == .timedOut)
            #expect(pool.taskStatus(slow) == .running)
            clock.advance(by: .seconds(8))
            let report = await pool.waitForTasks([slow], timeout: .seconds(60))[0]
            #expect(report.status == .timedOut)
            #expect(throws: StreamingError.timeout("the task ran longer than 10.0 seconds")) { try report.outcome?.get() }
            #expect(Set(provider.cancelledInputs) == ["slow", "quick"])
            #expect(pool.stats.timedOut == 2)
        }
    }

    @Test("a task that ends before its deadline is not stopped when the deadline passes")
    func deadlineAfterTheEnd() async throws {
        let clock = ManualClock()
        let provider = GatedProvider()
        try await withPool(provider, timeout: .seconds(10), clock: clock) { pool in
            let finished = try pool.processAsync(agent, "finished")
            let held = try pool.processAsync(agent, "held")
            provider.release("finished")
            #expect(await pool.waitForTasks([finished], timeout: .seconds(60))[0].status == .completed)
            try await clock.waitForSleepers(1)
            clock.advance(by: .seconds(10))
            #expect(await pool.waitForTasks([held], timeout: .seconds(60))[0].status == .timedOut)
            #expect(pool.taskStatus(finished) == .completed)
            #expect(pool.stats.timedOut == 1)
            #expect(pool.stats.completed == 1)
        }
    }

    @Test("the completion handler runs once, after the task has settled")
    func completionHandler() async throws {
        let provider = GatedProvider()
        provider.releaseAll()
        let seen = Locked<[TaskStatus]>([])
        try await withPool(provider) { pool in
            let done = OneWaySignal()
            let id = try pool.processAsync(agent, "hello") { outcome in
                seen.withLock { $0.append(outcome.status) }
                done.set()
            }
            await done.wait()
            #expect(pool.taskStatus(id) == .completed)
            #expect(pool.taskOutcome(id)?.result?.finalOutput == "answer to hello")
        }
        #expect(seen.value == [.completed])
    }

    @Test("processConcurrent runs one input on several agents and pairs each outcome with its agent")
    func processConcurrent() async throws {
        let agents = [Agent(name: "alpha"), Agent(name: "beta"), Agent(name: "gamma")]
        try await withPool(ScriptedModelProvider(), poolSize: 3) { pool in
            let outcomes = await pool.processConcurrent(agents, "Introduce yourself")
            #expect(outcomes.map(\.agent.name) == ["alpha", "beta", "gamma"])
            for outcome in outcomes {
                let result = try #require(outcome.outcome.result)
                #expect(result.lastAgent.name == outcome.agent.name)
                #expect(result.finalOutput.contains("This is \(outcome.agent.name)"))
            }
        }
        // A refused submission is that agent's outcome; the others run.
        try await withPool(ScriptedModelProvider(), poolSize: 1, queueSize: 1) { pool in
            let outcomes = await pool.processConcurrent(agents, "hi")
            #expect(outcomes.map(\.outcome.status) == [.completed, .completed, .failed])
            #expect(outcomes[2].task == nil)
            #expect(throws: StreamingError.queueFull(capacity: 1)) { try outcomes[2].outcome.get() }
        }
    }

    @Test("stats count outcomes and give the average and p95 run time")
    func stats() async throws {
        let provider = GatedProvider()
        provider.releaseAll()
        try await withPool(provider) { pool in
            #expect(pool.stats.averageDuration == nil)
            for index in 0..<10 { _ = try await pool.process(agent, "job \(index)") }
            _ = try? await pool.process(agent, "fail")
            let stats = pool.stats
            #expect(stats.submitted == 11)
            #expect(stats.completed == 10)
            #expect(stats.failed == 1)
            #expect(stats.cancelled == 0)
            let average = try #require(stats.averageDuration)
            let p95 = try #require(stats.p95Duration)
            #expect(average > .zero && p95 > .zero)
        }
    }

    @Test("settled tasks past retainedTasks are forgotten, oldest first")
    func retention() async throws {
        let provider = GatedProvider()
        provider.releaseAll()
        try await withPool(provider, retainedTasks: 2) { pool in
            var ids: [TaskID] = []
            for index in 0..<3 {
                let id = try pool.processAsync(agent, "job \(index)")
                _ = await pool.waitForTasks([id], timeout: .seconds(30))
                ids.append(id)
            }
            #expect(ids.map { pool.taskStatus($0) } == [nil, .completed, .completed])
            #expect(throws: StreamingError.notFound("task-1")) { try pool.events(of: ids[0]) }
        }
    }
}
