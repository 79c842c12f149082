import Foundation
import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Testing

@Suite("BackgroundProcessor")
struct BackgroundProcessorTests {
    struct Greeting: Codable, Sendable, Equatable {
        var name: String
    }

    static func fast(workers: Int = 4, lease: Duration = .seconds(30), maxAttempts: Int = 4,
                     grace: Duration = .seconds(5)) -> BackgroundProcessor.Options {
        .init(
            workers: workers, lease: lease, pollInterval: .milliseconds(5),
            backoff: RetryBackoff(base: .milliseconds(2), cap: .milliseconds(10)),
            maxAttempts: maxAttempts, shutdownGrace: grace
        )
    }

    /// Runs the processor while `body` runs, then shuts it down and waits for it to stop.
    static func running(_ processor: BackgroundProcessor, _ body: () async throws -> Void) async throws {
        let run = Task { try await processor.run() }
        do {
            try await body()
        } catch {
            processor.shutdown()
            _ = await run.result
            throw error
        }
        processor.shutdown()
        try await run.value
    }

    @Test("runs typed handlers, keeps their results, and reports stats with the Ruby names")
    func typedHandlers() async throws {
        let queue = InMemoryJobQueue()
        let processor = BackgroundProcessor(queue: queue, options: Self.fast())
        processor.register("greet", payload: Greeting.self) { greeting, _ in "Hello, \(greeting.name)!" }
        let id = try await processor.enqueueJob("greet", Greeting(name: "Zoë"), priority: .high)
        try await Self.running(processor) {
            try await waitUntil("the job to complete") { (try? await queue.job(id))?.state == .completed }
        }
        let result = try #require(try await queue.job(id)?.result)
        #expect(try JSONDecoder().decode(String.self, from: Data(result)) == "Hello, Zoë!")
        let stats = try await processor.stats()
        #expect(stats.completedJobs == 1 && stats.workers == 4 && !stats.running)
        let json = try JSONDecoder().decode([String: JSONValue].self, from: JSONEncoder().encode(stats))
        #expect(Set(json.keys).isSuperset(of: ["running", "workers", "high_priority_queue", "normal_priority_queue",
                                               "low_priority_queue", "scheduled_jobs", "failed_jobs"]))
    }

    @Test("a job with no registered handler is dead-lettered with an error naming it")
    func noHandler() async throws {
        let queue = InMemoryJobQueue()
        let processor = BackgroundProcessor(queue: queue, options: Self.fast())
        processor.register("known", payload: Greeting.self) { _, _ in }
        try await Self.running(processor) {
            _ = try await queue.enqueue(NewJob(name: "unknown_job", payload: Array("{}".utf8), maxAttempts: 5))
            try await waitUntil("the job to be dead") { (try? await queue.stats(now: Date()).dead) == 1 }
        }
        let dead = try await queue.deadJobs(limit: 1)
        #expect(dead[0].lastError?.contains("\"unknown_job\"") == true)
        #expect(dead[0].lastError?.contains("known") == true)
        #expect(dead[0].attempts == 1)
    }

    @Test("a failing job is retried with backoff until it succeeds")
    func retries() async throws {
        let queue = InMemoryJobQueue()
        let processor = BackgroundProcessor(queue: queue, options: Self.fast())
        let attempts = Locked<[Int]>([])
        processor.register("flaky") { context in
            attempts.withLock { $0.append(context.attempt) }
            if context.attempt < 3 { throw StreamingError.connection("not yet") }
            return nil
        }
        let id = try await queue.enqueue(NewJob(name: "flaky", maxAttempts: 5))
        try await Self.running(processor) {
            try await waitUntil("the job to complete") { (try? await queue.job(id))?.state == .completed }
        }
        #expect(attempts.value == [1, 2, 3])
    }

    @Test("a job failing every attempt is dead with its last error")
    func deadAfterAttempts() async throws {
        let queue = InMemoryJobQueue()
        let processor = BackgroundProcessor(queue: queue, options: Self.fast())
        processor.register("broken") { context in throw StreamingError.connection("attempt \(context.attempt) failed") }
        _ = try await queue.enqueue(NewJob(name: "broken", maxAttempts: 3))
        try await Self.running(processor) {
            try await waitUntil("the job to be dead") { (try? await queue.stats(now: Date()).dead) == 1 }
        }
        let dead = try await queue.deadJobs(limit: 1)[0]
        #expect(dead.attempts == 3)
        #expect(dead.lastError?.contains("attempt 3 failed") == true)
    }

    @Test("never runs more jobs at once than it has workers, and does use them all")
    func workerBound() async throws {
        let queue = InMemoryJobQueue()
        let processor = BackgroundProcessor(queue: queue, options: Self.fast(workers: 3))
        let gauge = Locked((now: 0, peak: 0))
        processor.register("busy") { _ in
            gauge.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
            try await Task.sleep(for: .milliseconds(20))
            gauge.withLock { $0.now -= 1 }
            return nil
        }
        _ = try await queue.enqueue((0..<12).map { _ in NewJob(name: "busy") }, now: Date())
        try await Self.running(processor) {
            try await waitUntil("every job to complete") { (try? await queue.stats(now: Date()).completed) == 12 }
        }
        #expect(gauge.value.peak == 3)
    }

    @Test("with one worker, jobs run by priority, then in order")
    func priorities() async throws {
        let queue = InMemoryJobQueue()
        let processor = BackgroundProcessor(queue: queue, options: Self.fast(workers: 1))
        let order = Locked<[String]>([])
        processor.register("record", payload: Greeting.self) { greeting, _ in order.withLock { $0.append(greeting.name) } }
        for (name, priority) in [("low", JobPriority.low), ("normal1", .normal), ("high", .high), ("normal2", .normal)] {
            try await processor.enqueueJob("record", Greeting(name: name), priority: priority)
        }
        try await Self.running(processor) {
            try await waitUntil("every job to run") { order.value.count == 4 }
        }
        #expect(order.value == ["high", "normal1", "normal2", "low"])
    }

    @Test("a scheduled job runs no earlier than its time")
    func scheduled() async throws {
        let queue = CountingJobQueue(InMemoryJobQueue())
        let time = Locked(Date(timeIntervalSince1970: 1_800_000_000))
        let processor = BackgroundProcessor(queue: queue, options: Self.fast(), now: { time.value })
        let ran = Flag()
        processor.register("reminder", payload: Greeting.self) { _, _ in ran.set() }
        let at = time.value.addingTimeInterval(3600)
        let id = try await processor.scheduleJob("reminder", Greeting(name: "x"), at: at)
        try await Self.running(processor) {
            // Ten polls pass while the clock is before the run-at time: the job must wait.
            let polls = queue.claimCount
            try await waitUntil("ten polls") { queue.claimCount >= polls + 10 }
            #expect(!ran.isSet)
            #expect(try await queue.job(id)?.state == .scheduled)
            time.withLock { $0 = at }
            try await waitUntil("the job to run at its time") { ran.isSet }
        }
    }

    @Test("a shutdown asked before run() begins stands: run() claims nothing and returns", .timeLimit(.minutes(1)))
    func shutdownBeforeRun() async throws {
        let queue = InMemoryJobQueue()
        let processor = BackgroundProcessor(queue: queue, options: Self.fast())
        processor.register("greet") { _ in nil }
        let id = try await queue.enqueue(NewJob(name: "greet"))
        processor.shutdown()
        try await processor.run()
        #expect(try await queue.job(id)?.state == .waiting, "nothing claimed")
        // The processor can run again afterwards, and does its work.
        try await Self.running(processor) {
            try await waitUntil("the job to run") { (try? await queue.job(id))?.state == .completed }
        }
    }

    @Test("shutdown lets a running job finish within the grace")
    func gracefulShutdown() async throws {
        let queue = InMemoryJobQueue()
        let processor = BackgroundProcessor(queue: queue, options: Self.fast(grace: .seconds(10)))
        let started = Flag()
        let release = Flag()
        processor.register("slow") { _ in
            started.set()
            try await waitUntil("the test to let the job finish") { release.isSet }
            return nil
        }
        let id = try await queue.enqueue(NewJob(name: "slow"))
        let run = Task { try await processor.run() }
        try await waitUntil("the job to start") { started.isSet }
        processor.shutdown()
        try await waitUntil("the processor to stop claiming") { (try? await processor.stats())?.running == false }
        release.set()
        try await run.value
        #expect(try await queue.job(id)?.state == .completed)
    }

    @Test("a job still running when the grace ends is cancelled and given back without losing an attempt")
    func graceOver() async throws {
        let queue = InMemoryJobQueue()
        let processor = BackgroundProcessor(queue: queue, options: Self.fast(grace: .milliseconds(50)))
        let started = Flag()
        processor.register("stuck") { _ in
            started.set()
            try await Task.sleep(for: .seconds(3600))
            return nil
        }
        let id = try await queue.enqueue(NewJob(name: "stuck", maxAttempts: 1))
        let run = Task { try await processor.run() }
        try await waitUntil("the job to start") { started.isSet }
        processor.shutdown()
        try await run.value
        let job = try #require(try await queue.job(id))
        #expect(job.state == .waiting)
        #expect(job.attempts == 0)
    }

    @Test("a job of a worker that died comes back when its lease ends")
    func recoversLostWorkersJobs() async throws {
        let queue = InMemoryJobQueue()
        let id = try await queue.enqueue(NewJob(name: "work"))
        // A worker claims the job with a short lease and dies without finishing it.
        _ = try await queue.claim(limit: 1, lease: .milliseconds(100), now: Date())
        let processor = BackgroundProcessor(queue: queue, options: Self.fast(lease: .seconds(2)))
        processor.register("work") { _ in nil }
        try await Self.running(processor) {
            try await waitUntil("the job to complete") { (try? await queue.job(id))?.state == .completed }
        }
        #expect(try await queue.job(id)?.attempts == 2)
    }

    @Test("a long job keeps its lease: no other worker gets it while it runs")
    func renewsLongJobs() async throws {
        let queue = InMemoryJobQueue()
        let runs = Locked(0)
        // Renewal comes every third of the lease; the job runs for more than two leases. A
        // 2 s lease leaves a renewal 1.3 s of slack on a starved machine (a 1 s lease, with
        // 0.6 s, expired during CI runs that shared two cores with a release build).
        let options = Self.fast(lease: .seconds(2))
        let first = BackgroundProcessor(queue: queue, options: options)
        let second = BackgroundProcessor(queue: queue, options: options)
        for processor in [first, second] {
            processor.register("long") { _ in
                runs.withLock { $0 += 1 }
                try await Task.sleep(for: .milliseconds(5000))
                return nil
            }
        }
        let id = try await queue.enqueue(NewJob(name: "long"))
        try await Self.running(first) {
            try await Self.running(second) {
                try await waitUntil("the job to complete") { (try? await queue.job(id))?.state == .completed }
            }
        }
        #expect(runs.value == 1)
    }
}
