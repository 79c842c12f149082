import StreamingApplication
import StreamingDomain
import StreamingTestSupport
import Testing

@Suite("Agent streams to a slow client", .timeLimit(.minutes(2)))
struct AgentStreamSlowClientTests {
    @Test("a client whose buffer is full may keep resuming while its stream drops frames")
    func resumeWhileDropping() async throws {
        // A long answer streamed as fast as the offline model goes, to a client that reads
        // nothing: every dropped frame is counted under the stream's lock, then the connection's,
        // while the same client's requests run on another thread. The hub used to look streams
        // up while holding the connection's lock, the other order, and this deadlocked.
        let hub = HubFixture.hub(options: ConnectionHubOptions(messagesPerMinute: 1_000_000_000))
        let client = try hub.connectClient()
        client.sink.clear()
        client.sink.fill()
        let input = String(repeating: "word ", count: 20_000)
        let resumes = try await withRunningHub(hub) {
            client.send(["type": "agent_stream", "id": "s1", "agent": "assistant", "input": .string(input)])
            let stream = try #require(hub.streams.stream("s1"))
            var resumes = 0
            while !stream.isFinished {
                client.send(["type": "resume", "id": "s1", "after_seq": .int(stream.lastSeq)])
                client.send(["type": "agent_stream", "agent": "missing", "input": "x"])
                resumes += 1
                await Task.yield()
            }
            return resumes
        }
        #expect(resumes > 0)
        #expect(hub.streams.stream("s1")?.lastSeq ?? 0 > 20_000)
        #expect(client.sink.frames.isEmpty)
        #expect(hub.stats.dropped > 20_000)
    }
}
