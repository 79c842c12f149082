// Agents in the background: a bounded pool of runs, task ids and statuses, a task watched
// while it runs, several agents on one question, cancel, retry, and the pool's figures.
// Runs on the offline model; set OPENAI_API_KEY to talk to a real one.
import RAAFStreaming

let system = try Streaming.configure { config in
    config.async.poolSize = 4
    config.async.queueSize = 100
}
let assistant = DemoAgents.assistant
let pool = system.asyncRunner()

try await pool.withRunning { pool in
    // 1. Fire and forget, with a completion handler; the id tells us where it is.
    let report = try pool.processAsync(assistant, "What's the weather in Oslo?") { outcome in
        print("[completion] the Oslo task ended: \(outcome.status)")
    }
    print("submitted \(report): \(pool.taskStatus(report)!)")

    // 2. Watch a task's events while it runs: the answer arrives token by token.
    let watched = try pool.processAsync(assistant, "Tell me about background agents")
    for try await event in try pool.events(of: watched) {
        if let text = event.content { print(text, terminator: "") }
    }
    print("\n")

    // 3. Wait for several tasks; the wait ends as soon as all have settled.
    let ids = try ["Paris", "Lima", "Tokyo"].map { try pool.processAsync(assistant, "What's the weather in \($0)?") }
    for report in await pool.waitForTasks(ids + [report], timeout: .seconds(30)) {
        print("\(report.id): \(report.status) — \(report.outcome?.result?.finalOutput.prefix(60) ?? "")")
    }

    // 4. The same question to several agents at once, each answer paired with its agent.
    let panel = [assistant, DemoAgents.support, Agent(name: "critic", instructions: "Be critical.")]
    for answer in await pool.processConcurrent(panel, "Should we stream answers?") {
        print("\(answer.agent.name): \(answer.outcome.result?.finalOutput.count ?? 0) characters")
    }

    // 5. Cancel really stops a run (and its model request).
    let slow = try pool.processAsync(assistant, "Write a long essay")
    pool.cancelTask(slow)
    print("\(slow) after cancel: \(await pool.waitForTasks([slow], timeout: .seconds(5))[0].status)")

    // 6. Retry errors that may go away (connection, timeout, rate limit, 5xx) with backoff.
    let answer = try await pool.processWithRetry(assistant, "What time is it?", retryCount: 3, retryDelay: .milliseconds(200))
    print("with retry: \(answer.finalOutput)")

    // 7. A full queue refuses at once, with a typed error, instead of blocking.
    let tiny = AsyncRunner(runner: system.runner, poolSize: 1, queueSize: 0)
    _ = try tiny.processAsync(assistant, "one")
    do {
        _ = try tiny.processAsync(assistant, "two")
    } catch StreamingError.queueFull(let capacity) {
        print("refused: the queue holds \(capacity)")
    }
    await tiny.withRunning { _ in }
}

let stats = pool.stats
print(
    "pool of \(stats.poolSize): \(stats.completed) completed, \(stats.cancelled) cancelled, \(stats.failed) failed;",
    "average \(stats.averageDuration.map { "\($0)" } ?? "-"), p95 \(stats.p95Duration.map { "\($0)" } ?? "-")"
)
