import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Synchronization
import Testing

/// The pipeline on an upstream the test feeds by hand: what reaches the consumer, and when.
/// Time-bounded steps run on a ``ManualClock``, so nothing here depends on the machine's speed.
@Suite("StreamPipeline: nothing held back longer than asked")
struct StreamPipelineHoldTests {
    /// A pipeline consumed by a background task; the test yields upstream events one by one.
    final class Harness: Sendable {
        let upstream: AsyncStream<StreamEvent>.Continuation
        let received = Locked<[StreamEvent]>([])
        let finished = Flag()
        let upstreamTerminated = Flag()
        let consumer: Task<Void, any Error>

        init(_ pipeline: StreamPipeline) {
            let (stream, continuation) = AsyncStream<StreamEvent>.makeStream()
            upstream = continuation
            let terminated = upstreamTerminated
            continuation.onTermination = { _ in terminated.set() }
            let received = self.received
            let finished = self.finished
            consumer = Task {
                defer { finished.set() }
                for try await event in pipeline.apply(to: stream) {
                    received.withLock { $0.append(event) }
                }
            }
        }

        func yield(_ kind: StreamEvent.Kind) { upstream.yield(StreamEvent(seq: 0, kind: kind)) }

        var texts: [String] { received.value.compactMap(\.content) }

        func waitForTexts(_ expected: [String], _ what: String) async throws {
            try await waitUntil(what) { self.texts == expected }
        }
    }

    @Test("split: a short delta goes out at once, before the next is yielded; a long one in pieces")
    func splitNeverWaits() async throws {
        let harness = Harness(StreamPipeline().split(maxSize: 4))
        harness.yield(.content("ab"))
        try await harness.waitForTexts(["ab"], "the first delta, alone")
        harness.yield(.content("héllo wörld"))
        try await harness.waitForTexts(["ab", "héll", "o wö", "rld"], "the long delta in pieces of at most 4 characters")
        harness.yield(.content("👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧"))
        try await harness.waitUntilCount(5)
        #expect(harness.texts.last == "👨‍👩‍👧", "a piece never ends inside a character")
        harness.upstream.finish()
        try await harness.consumer.value
        #expect(harness.received.value.map(\.seq) == Array(1...harness.received.value.count))
    }

    @Test("coalesce: deltas within the window go out as one, when the window ends, with no further delta")
    func coalesceFlushesOnTime() async throws {
        let clock = ManualClock()
        let harness = Harness(StreamPipeline().coalesced(within: .milliseconds(50), clock: clock))
        harness.yield(.content("a"))
        harness.yield(.content("b"))
        try await clock.waitForSleepers(1)
        #expect(harness.texts.isEmpty)
        clock.advance(by: .milliseconds(49))
        #expect(harness.texts.isEmpty)
        clock.advance(by: .milliseconds(1))
        try await harness.waitForTexts(["ab"], "the window's text once it ends")

        // Another event flushes what is held before it; the end flushes the rest.
        harness.yield(.content("c"))
        harness.yield(.toolOutput(ToolOutput(callID: "1", toolName: "t", output: "x", agent: "a")))
        try await harness.waitUntilCount(3)
        #expect(harness.texts == ["ab", "c"])
        harness.yield(.content("d"))
        harness.upstream.finish()
        try await harness.consumer.value
        #expect(harness.texts == ["ab", "c", "d"])
    }

    @Test("coalesce: held text reaching the byte bound goes out at once")
    func coalesceBoundedInBytes() async throws {
        let clock = ManualClock()
        let harness = Harness(StreamPipeline().coalesced(within: .seconds(10), maxBytes: 4, clock: clock))
        harness.yield(.content("ab"))
        harness.yield(.content("cd"))
        try await harness.waitForTexts(["abcd"], "four bytes, without the clock moving")
        harness.upstream.finish()
        try await harness.consumer.value
    }

    @Test("rechunk: exact pieces, but a short rest leaves after maxDelay while the model is silent")
    func rechunkHasAMaximumDelay() async throws {
        let clock = ManualClock()
        let harness = Harness(StreamPipeline().rechunked(size: 4, maxDelay: .milliseconds(100), clock: clock))
        harness.yield(.content("abcdefghij"))
        try await harness.waitForTexts(["abcd", "efgh"], "the full pieces")
        try await clock.waitForSleepers(1)
        clock.advance(by: .milliseconds(100))
        try await harness.waitForTexts(["abcd", "efgh", "ij"], "the rest after the maximum delay")
        harness.upstream.finish()
        try await harness.consumer.value
        #expect(harness.texts == ["abcd", "efgh", "ij"])
    }

    @Test("a time-bounded pipeline whose consumer is cancelled stops its upstream")
    func cancellingStopsUpstream() async throws {
        let clock = ManualClock()
        let harness = Harness(StreamPipeline().coalesced(within: .milliseconds(50), clock: clock))
        harness.yield(.content("a"))
        try await clock.waitForSleepers(1)
        harness.consumer.cancel()
        try await waitUntil("the upstream to be cancelled") { harness.upstreamTerminated.isSet }
        try await waitUntil("the consumer to end") { harness.finished.isSet }
    }

    @Test("an upstream failure delivers the held text, then the error")
    func failureFlushes() async throws {
        struct Boom: Error {}
        let clock = ManualClock()
        let (stream, continuation) = AsyncThrowingStream<StreamEvent, any Error>.makeStream()
        let pipeline = StreamPipeline().coalesced(within: .seconds(1), clock: clock)
        let consumer = Task {
            var texts: [String] = []
            do {
                for try await event in pipeline.apply(to: stream) { texts += event.content.map { [$0] } ?? [] }
            } catch is Boom {
                return texts
            }
            return ["no error"]
        }
        continuation.yield(StreamEvent(seq: 0, kind: .content("held")))
        continuation.finish(throwing: Boom())
        #expect(try await consumer.value == ["held"])
    }
}

extension StreamPipelineHoldTests.Harness {
    func waitUntilCount(_ count: Int) async throws {
        try await waitUntil("\(count) events") { self.received.value.count >= count }
    }
}
