import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Testing

@Suite("BatchProcessor")
struct BatchProcessorTests {
    @Test("calls back as each item finishes and returns the outcomes in request order")
    func orderAndCallbacks() async throws {
        let provider = GatedProvider()
        let batch = BatchProcessor(runner: AgentRunner(provider: provider), agent: agent, maxConcurrent: 3)
        let inputs = ["first", "second", "third"]
        let finished = Locked<[Int]>([])
        async let outcomes = batch.processBatch(inputs) { request, outcome in
            #expect(outcome.result?.finalOutput == "answer to \(request.input)")
            finished.withLock { $0.append(request.index) }
        }
        try await waitUntil("all three to start") { provider.inFlight == 3 }
        for index in [2, 0, 1] {
            provider.release(inputs[index])
            try await waitUntil("item \(index) to be reported") { finished.value.last == index }
        }
        let results = await outcomes
        #expect(finished.value == [2, 0, 1])
        #expect(results.map { $0.result?.finalOutput } == inputs.map { "answer to \($0)" })
    }

    @Test("never runs more than maxConcurrent items at once")
    func concurrencyBound() async throws {
        let provider = GatedProvider()
        let batch = BatchProcessor(runner: AgentRunner(provider: provider), agent: agent, maxConcurrent: 2)
        async let outcomes = batch.processBatch((0..<6).map { "item \($0)" })
        try await waitUntil("two items to start") { provider.inFlight == 2 }
        #expect(provider.startedInputs.count == 2)
        provider.releaseAll()
        #expect(await outcomes.map(\.status) == Array(repeating: .completed, count: 6))
        #expect(provider.maxInFlight == 2)
    }

    @Test("a failing item is reported on that item; the others complete")
    func itemFailure() async throws {
        let provider = GatedProvider()
        provider.releaseAll()
        let batch = BatchProcessor(runner: AgentRunner(provider: provider), agent: agent, maxConcurrent: 2)
        let outcomes = await batch.processBatch(["a", "fail b", "c"])
        #expect(outcomes.map(\.status) == [.completed, .failed, .completed])
        #expect(throws: StreamingError.provider(status: 400, message: "bad request")) { try outcomes[1].get() }
        #expect(await batch.processBatch([]).isEmpty)
    }

    @Test("an item past the timeout is timed out; cancelling the batch cancels what is left")
    func timeoutAndCancellation() async throws {
        let provider = GatedProvider()
        let clock = ManualClock()
        let batch = BatchProcessor(
            runner: AgentRunner(provider: provider), agent: agent, maxConcurrent: 1, timeout: .seconds(5), clock: clock)
        let task = Task { await batch.processBatch(["slow", "never"]) }
        try await clock.waitForSleepers(1)
        clock.advance(by: .seconds(5))
        try await waitUntil("the second item to start") { provider.inFlight == 1 && provider.startedInputs.count == 2 }
        task.cancel()
        let outcomes = await task.value
        #expect(outcomes.map(\.status) == [.timedOut, .cancelled])
        #expect(provider.cancelledInputs == ["slow", "never"])
    }
}
