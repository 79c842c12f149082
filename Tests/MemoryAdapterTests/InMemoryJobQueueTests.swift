import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Testing

@Suite("InMemoryJobQueue conformance")
struct InMemoryJobQueueTests {
    @Test(arguments: JobQueueConformance.cases)
    func conformance(_ check: JobQueueConformance.Case) async throws {
        try await check.run(on: InMemoryJobQueue())
    }

    /// Named queues on one memory backend.
    @Test(arguments: NamedQueueConformance.cases)
    func namedQueues(_ check: NamedQueueConformance.Case) async throws {
        let backend = InMemoryJobBackend()
        try await check.run { name in try backend.queue(named: name) }
    }

    @Test("completed jobs are kept up to the limit, oldest dropped first")
    func completedLimit() async throws {
        let queue = InMemoryJobQueue(completedLimit: 3)
        let ids = try await queue.enqueue((0..<5).map { NewJob(name: "j", payload: [UInt8($0)]) }, now: .now)
        let claimed = try await queue.claim(limit: 5, lease: .seconds(30), now: .now)
        _ = try await queue.complete(claimed.map { JobCompletion(lease: $0.lease) }, now: .now)
        #expect(try await queue.job(ids[0]) == nil)
        #expect(try await queue.job(ids[1]) == nil)
        #expect(try await queue.job(ids[4])?.state == .completed)
        #expect(try await queue.stats(now: .now).completed == 5)
    }
}
