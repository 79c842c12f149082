import Foundation
import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Testing

@Suite("MessageQueue and the agent job")
struct MessageQueueTests {
    static let agent = AgentConfiguration(name: "assistant", model: "gpt-4o")

    @Test("hands out batches of at most batchSize, and carries out acknowledge and reject")
    func batches() async throws {
        let jobs = InMemoryJobQueue()
        let messages = MessageQueue(queue: jobs, backoff: RetryBackoff(base: .zero, cap: .zero))
        var ids: [JobID] = []
        for index in 0..<5 {
            ids.append(try await messages.enqueue("message \(index)", agent: Self.agent, callbackURL: "https://example.invalid/hook"))
        }
        var sizes: [Int] = []
        let handed = try await messages.processMessages(batchSize: 3) { batch in
            sizes.append(batch.messages.count)
            #expect(batch.messages.map(\.message.content) == ["message 0", "message 1", "message 2"])
            #expect(batch.messages[0].message.callbackURL == "https://example.invalid/hook")
            #expect(batch.messages[0].message.agent == Self.agent)
            batch.acknowledge(batch.messages[0].id, result: "done")
            batch.reject(batch.messages[1].id, reason: "bad input", requeue: false)
            batch.reject(batch.messages[2].id, reason: "try later")
        }
        #expect(handed == 3)
        #expect(try await jobs.job(ids[0])?.result == Array("done".utf8))
        #expect(try await jobs.job(ids[1])?.state == .dead)
        #expect(try await jobs.job(ids[2])?.state == .scheduled)

        let second = try await messages.processMessages(batchSize: 3) { batch in
            #expect(batch.messages.map(\.message.content) == ["message 3", "message 4", "message 2"])
            #expect(batch.messages.last?.attempt == 2)
            for message in batch.messages { batch.acknowledge(message.id) }
        }
        #expect(second == 3)
        #expect(try await messages.processMessages(batchSize: 3) { _ in } == 0)
        #expect(try await jobs.stats(now: Date()).completed == 4)
    }

    @Test("undecided messages, and those of a handler that throws, go back to the queue")
    func undecided() async throws {
        let jobs = InMemoryJobQueue()
        let messages = MessageQueue(queue: jobs)
        let id = try await messages.enqueue("hello", agent: Self.agent)
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await messages.processMessages(batchSize: 10) { _ in throw Boom() }
        }
        let job = try #require(try await jobs.job(id))
        #expect(job.state == .waiting && job.attempts == 0)
    }

    @Test("the agent job runs the agent in the background and keeps its answer")
    func agentJob() async throws {
        let queue = InMemoryJobQueue()
        let processor = BackgroundProcessor(queue: queue, options: .init(workers: 2, pollInterval: .milliseconds(5)))
        let assistant = Agent(name: "assistant")
        processor.registerAgentJob(runner: AgentRunner(provider: ScriptedModelProvider()), agents: ["assistant": assistant])
        let good = try await processor.enqueueJob("agent", AgentJobPayload(agent: "assistant", input: "hello there"))
        let bad = try await processor.enqueueJob("agent", AgentJobPayload(agent: "nobody", input: "hi"))
        let run = Task { try await processor.run() }
        try await waitUntil("both jobs to settle") {
            let stats = try? await queue.stats(now: Date())
            return stats?.completed == 1 && stats?.dead == 1
        }
        processor.shutdown()
        try await run.value
        let result = try JSONDecoder().decode(AgentJobResult.self, from: Data(try #require(try await queue.job(good)?.result)))
        #expect(result.finalOutput.contains("“hello there”"))
        #expect(result.agent == "assistant" && result.turns == 1)
        #expect(try await queue.job(bad)?.lastError?.contains("no agent named \"nobody\"") == true)
    }
}

@Suite("MessageQueue.process: a consumer until shutdown")
struct MessageQueueProcessTests {
    @Test("a message claimed by a consumer that died is answered once its lease ends; a long answer keeps its lease; stats count both")
    func recoversAndRenews() async throws {
        let jobs = InMemoryJobQueue()
        // Leases of 2 s, renewed every 2/3 s: slack for a loaded machine's pauses.
        let messages = MessageQueue(queue: jobs, lease: .seconds(2), workers: 2, pollInterval: .milliseconds(10))
        let orphan = try await messages.enqueue(message: "orphan", agentConfig: AgentConfiguration(name: "a"))
        // A consumer claims it and dies: no complete, no release.
        #expect(try await jobs.claim(limit: 1, lease: .milliseconds(300), now: Date()).map(\.job.id) == [orphan])
        let long = try await messages.enqueue(message: "long", agentConfig: AgentConfiguration(name: "a"))

        let handled = Locked<[String: Int]>([:])
        let running = Task {
            try await messages.process { received in
                handled.withLock { $0[received.message.content, default: 0] += 1 }
                // Two leases long: without renewal it would be handed out again meanwhile.
                if received.message.content == "long" { try await Task.sleep(for: .seconds(4)) }
                return MessageAnswer(finalOutput: "answer to \(received.message.content)")
            }
        }
        try await waitUntil(timeout: .seconds(30), "both messages to be answered") {
            let first = try? await jobs.job(orphan)
            let second = try? await jobs.job(long)
            return first?.state == .completed && second?.state == .completed
        }
        #expect(handled.value == ["orphan": 1, "long": 1])
        #expect(try await jobs.job(orphan)?.attempts == 2)  // the dead consumer's attempt, then this one
        #expect(try await jobs.job(long)?.result == Array("answer to long".utf8))
        let stats = try await messages.stats()
        #expect(stats.running && stats.completedJobs == 2 && stats.processed == 2)
        messages.shutdown()
        try await running.value
        #expect(try await messages.stats().running == false)
    }
}
