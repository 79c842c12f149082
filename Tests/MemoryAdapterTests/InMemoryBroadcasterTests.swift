import StreamingApplication
import StreamingMemory
import StreamingTestSupport
import Testing

@Suite("InMemoryBroadcaster")
struct InMemoryBroadcasterTests {
    @Test(arguments: BroadcasterConformance.cases)
    func conformance(_ check: BroadcasterConformance.Case) async throws {
        let bus = InMemoryBroadcastBus()
        try await check.run { nodeID in InMemoryBroadcaster(nodeID: nodeID, bus: bus) }
    }
}
