import Foundation
import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Testing

/// What a message or an agent job reports to its `callback_url` when the queue refuses to
/// enqueue the callback: tried again in place, never turned into a `failed` callback.
@Suite("Callbacks when their enqueue fails")
struct CallbackReportingTests {
    static let url = "https://hooks.example.com/done"

    /// Records every callback it is asked to POST.
    final class RecordingSender: CallbackSender {
        let results = Locked<[CallbackResult]>([])

        func post(_ body: [UInt8], to url: String, deliveryID: String) async throws {
            let result = try JSONDecoder().decode(CallbackResult.self, from: Data(body))
            results.withLock { $0.append(result) }
        }
    }

    struct Boom: Error, CustomStringConvertible {
        var description: String { "boom" }
    }

    /// Runs a message queue on `jobs` whose handler counts its calls, answers "answer <attempt>"
    /// (or throws ``Boom`` when `failing`), until `done` holds for the message and the callbacks
    /// POSTed; returns how often the handler ran.
    static func processOne(
        on jobs: CountingJobQueue, maxAttempts: Int, sender: RecordingSender, failing: Bool = false,
        until done: @escaping @Sendable (Job?, [CallbackResult]) -> Bool
    ) async throws -> (id: JobID, runs: Int) {
        let messages = MessageQueue(
            queue: jobs, backoff: RetryBackoff(base: .zero, cap: .zero), maxAttempts: maxAttempts, workers: 2,
            callbacks: sender, pollInterval: .milliseconds(5))
        let id = try await messages.enqueue(
            message: "hi", agentConfig: AgentConfiguration(name: "assistant"), callbackURL: url, metadata: ["user": "u1"])
        let runs = Locked(0)
        let consumer = Task {
            try await messages.process { received in
                runs.withLock { $0 += 1 }
                if failing { throw Boom() }
                return MessageAnswer(finalOutput: "answer \(received.attempt)", agent: "support")
            }
        }
        do {
            try await waitUntil("the message to settle") { done(try? await jobs.job(id), sender.results.value) }
        } catch {
            messages.shutdown()
            try await consumer.value
            throw error
        }
        messages.shutdown()
        try await consumer.value
        return (id, runs.value)
    }

    @Test("a callback refused once on the message's last attempt is enqueued again: one answer, one completed callback")
    func refusedOnceOnLastAttempt() async throws {
        let jobs = CountingJobQueue(InMemoryJobQueue())
        jobs.refuseEnqueues(of: Callbacks.jobName, times: 1)
        let sender = RecordingSender()
        let (id, runs) = try await Self.processOne(on: jobs, maxAttempts: 1, sender: sender) { job, posted in
            job?.state == .completed && !posted.isEmpty
        }
        #expect(runs == 1, "the answer is not produced again")
        #expect(jobs.refusedCount == 1)
        let result = sender.results.value[0]
        #expect(result.id == id.rawValue && result.status == .completed)
        #expect(result.finalOutput == "answer 1" && result.agent == "support" && result.attempts == 1)
        #expect(result.metadata == ["user": "u1"])
        #expect(try await jobs.stats(now: Date()).dead == 0)
    }

    @Test("a callback never enqueued: the message is answered again, then dead with that reason; no failed callback")
    func neverEnqueued() async throws {
        let jobs = CountingJobQueue(InMemoryJobQueue())
        jobs.refuseEnqueues(of: Callbacks.jobName, times: .max)
        let sender = RecordingSender()
        let (id, runs) = try await Self.processOne(on: jobs, maxAttempts: 2, sender: sender) { job, _ in
            job?.state == .dead
        }
        #expect(runs == 2, "each attempt answers, then gives up after its enqueue tries")
        #expect(jobs.refusedCount == 2 * Callbacks.enqueueTries)
        let job = try #require(try await jobs.job(id))
        #expect(job.attempts == 2)
        #expect(job.lastError == "the job answered, but its completed callback could not be enqueued: the queue refused the enqueue")
        #expect(sender.results.value.isEmpty)
        let stats = try await jobs.stats(now: Date())
        #expect(stats.dead == 1 && stats.completed == 0 && stats.waiting.values.reduce(0, +) == 0, "no callback job")
    }

    @Test("a failed callback that cannot be enqueued: the message is dead with its error and the enqueue's")
    func failedCallbackNotEnqueued() async throws {
        let jobs = CountingJobQueue(InMemoryJobQueue())
        jobs.refuseEnqueues(of: Callbacks.jobName, times: .max)
        let sender = RecordingSender()
        let (id, runs) = try await Self.processOne(on: jobs, maxAttempts: 1, sender: sender, failing: true) { job, _ in
            job?.state == .dead
        }
        #expect(runs == 1)
        #expect(
            try await jobs.job(id)?.lastError
                == "boom; and its failed callback could not be enqueued: the queue refused the enqueue")
        #expect(sender.results.value.isEmpty)
    }

    @Test("a failing message gets one failed callback, after its last attempt")
    func failedAfterLastAttempt() async throws {
        let jobs = CountingJobQueue(InMemoryJobQueue())
        let sender = RecordingSender()
        let (_, runs) = try await Self.processOne(on: jobs, maxAttempts: 3, sender: sender, failing: true) { job, posted in
            job?.state == .dead && !posted.isEmpty
        }
        #expect(runs == 3)
        #expect(sender.results.value.count == 1)
        let result = sender.results.value[0]
        #expect(result.status == .failed && result.error == "boom" && result.attempts == 3 && result.agent == "assistant")
    }

    @Test("the agent job: a callback refused once on its last attempt is enqueued again, and reported completed")
    func agentJobRefusedOnce() async throws {
        let jobs = CountingJobQueue(InMemoryJobQueue())
        jobs.refuseEnqueues(of: Callbacks.jobName, times: 1)
        let sender = RecordingSender()
        let processor = BackgroundProcessor(
            queue: jobs,
            options: .init(workers: 2, pollInterval: .milliseconds(5), backoff: RetryBackoff(base: .zero, cap: .zero), maxAttempts: 1))
        processor.registerAgentJob(runner: AgentRunner(provider: ScriptedModelProvider()), agents: ["assistant": Agent(name: "assistant")])
        processor.registerCallbackJob(sender: sender)
        let id = try await processor.enqueueJob("agent", AgentJobPayload(agent: "assistant", input: "hello there", callbackURL: Self.url))
        let run = Task { try await processor.run() }
        do {
            try await waitUntil("the callback to be POSTed") { sender.results.value.count == 1 }
        } catch {
            processor.shutdown()
            try await run.value
            throw error
        }
        processor.shutdown()
        try await run.value
        #expect(jobs.refusedCount == 1)
        #expect(try await jobs.job(id)?.state == .completed)
        let result = sender.results.value[0]
        #expect(result.id == id.rawValue && result.status == .completed && result.attempts == 1)
        #expect(result.finalOutput?.contains("“hello there”") == true)
    }
}
