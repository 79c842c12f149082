// Throughput of the agent runner, the stream pipeline and the event bus on the offline
// model at zero delay. Run with `make bench`; figures go to docs/PERFORMANCE.md.
import Benchmark
import StreamingApplication
import StreamingDomain
import StreamingMemory
import Synchronization

/// A prompt of `words` words: the offline model quotes it back, one delta per word.
private func longPrompt(words: Int) -> String {
    (0..<words).map { "w\($0 % 1000)" }.joined(separator: " ")
}

private let prompt = longPrompt(words: 10_000)
private let agent = Agent(name: "bench")

/// Events one run produces (every event the runner emits, `complete` included).
private let eventsPerRun: Int = {
    let deltas = ScriptedModelProvider.deltas(for: ModelRequest(model: "m", messages: [.user(prompt)]))
    return deltas.count { if case .text = $0 { true } else { false } } + 1
}()

@inline(never)
private func drain<S: AsyncSequence>(_ events: S) async throws -> Int where S.Element == StreamEvent {
    var count = 0
    for try await event in events {
        count += 1
        blackHole(event.seq)
    }
    return count
}

let benchmarks: @Sendable () -> Void = {
    poolBenchmarks()
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal],
        warmupIterations: 2,
        scalingFactor: .one,
        maxDuration: .seconds(5),
        maxIterations: 200
    )
    print("events per run: \(eventsPerRun)")

    Benchmark("runner only, \(eventsPerRun) events per run") { benchmark in
        let runner = AgentRunner(provider: ScriptedModelProvider())
        for _ in benchmark.scaledIterations {
            blackHole(try await drain(runner.stream(agent, prompt)))
        }
    }

    Benchmark("runner + bus (1 listener), \(eventsPerRun) events per run") { benchmark in
        let bus = EventBus(options: EventBusOptions(historySize: 1000))
        let seen = Atomic<Int>(0)
        try bus.on("agent.chunk") { _ in seen.add(1, ordering: .relaxed) }
        let runner = AgentRunner(provider: ScriptedModelProvider(), eventBus: bus)
        for _ in benchmark.scaledIterations {
            blackHole(try await drain(runner.stream(agent, prompt)))
        }
    }

    Benchmark("runner + pipeline (filter, map) + bus, \(eventsPerRun) events per run") { benchmark in
        let bus = EventBus(options: EventBusOptions(historySize: 1000))
        let seen = Atomic<Int>(0)
        try bus.on("agent.*") { _ in seen.add(1, ordering: .relaxed) }
        let runner = AgentRunner(provider: ScriptedModelProvider(), eventBus: bus)
        let pipeline = StreamPipeline()
            .filter { _ in true }
            .map { $0 }
        for _ in benchmark.scaledIterations {
            blackHole(try await drain(pipeline.apply(to: runner.stream(agent, prompt))))
        }
    }

    Benchmark("runner + re-chunk to 64 characters + bus, \(eventsPerRun) events per run") { benchmark in
        let bus = EventBus(options: EventBusOptions(historySize: 1000))
        try bus.on("agent.chunk") { _ in }
        let runner = AgentRunner(provider: ScriptedModelProvider(), eventBus: bus)
        let pipeline = StreamPipeline().rechunked(size: 64)
        for _ in benchmark.scaledIterations {
            blackHole(try await drain(pipeline.apply(to: runner.stream(agent, prompt))))
        }
    }
}

// MARK: AsyncRunner overhead (issue 6)

/// A model that answers at once with one short delta: the run itself costs little, so
/// what the pool adds stands out.
private struct InstantModel: ModelProvider {
    func stream(_ request: ModelRequest) async throws -> ModelResponseStream {
        ModelResponseStream(deltas: [.text("ok"), .finish(.stop), .usage(Usage(promptTokens: 1, completionTokens: 1))])
    }
}

private let tasksPerIteration = 10_000

let poolBenchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal],
        warmupIterations: 1,
        scalingFactor: .one,
        maxDuration: .seconds(10),
        maxIterations: 20
    )
    let runner = AgentRunner(provider: InstantModel())

    // The baselines: the same runs without the pool, one after another and 20 at a time.
    Benchmark("10,000 zero-delay runs, direct, one after another", configuration: configuration) { benchmark in
        for _ in 0..<tasksPerIteration {
            blackHole(try await runner.run(agent, "hi"))
        }
    }

    Benchmark("10,000 zero-delay runs, direct, 20 at a time", configuration: configuration) { benchmark in
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<tasksPerIteration {
                if index >= 20 { try await group.next() }
                group.addTask { blackHole(try await runner.run(agent, "hi")) }
            }
            try await group.waitForAll()
        }
    }

    for timeout in [Duration.seconds(30), nil] {
        let name = timeout == nil ? "no timeout" : "30 s timeout"
        Benchmark("10,000 zero-delay runs, AsyncRunner pool of 20, \(name)", configuration: configuration) { benchmark in
            let pool = AsyncRunner(runner: runner, poolSize: 20, queueSize: tasksPerIteration, timeout: timeout)
            await pool.withRunning { pool in
                let settled = Atomic<Int>(0)
                let allDone = OneWaySignal()
                for _ in 0..<tasksPerIteration {
                    _ = try? pool.processAsync(agent, "hi") { outcome in
                        blackHole(outcome.result)
                        if settled.add(1, ordering: .relaxed).newValue == tasksPerIteration { allDone.set() }
                    }
                }
                await allDone.wait()
            }
        }
    }
}
