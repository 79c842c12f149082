import StreamingApplication
import StreamingMemory
import StreamingTestSupport
import Testing

@Suite("InMemoryStreamLog")
struct InMemoryStreamLogTests {
    @Test(arguments: StreamLogConformance.cases)
    func conformance(_ check: StreamLogConformance.Case) async throws {
        let log = InMemoryStreamLog(options: StreamLogConformance.options)
        try await check.run { log }
    }
}
