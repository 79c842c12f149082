import RAAFStreaming
import StreamingTestSupport
import StreamingWebSocket
import Testing

extension InteropTests {
    /// Agent streams over a real connection: resume after a cut, several at once.
    @Suite("Agent streams against Python websockets")
    struct AgentStreams {
        @Test func resumeAfterACutGivesExactlyTheRest() async throws {
            let model = SimulatedProvider(base: ScriptedModelProvider(), delay: .milliseconds(30))
            let input = "Tell me about resuming."
            let expected = try await AgentRunner(provider: ScriptedModelProvider()).run(DemoAgents.assistant, input).finalOutput
            try await TestServer.run(provider: model) { server in
                let output = try await PythonWebSockets.run("resume_after_cut", url: server.url, ["assistant", input, "5"])
                #expect(output.status == 0, "\(output.transcript)")
                let result = try #require(output.result, "\(output.transcript)")
                #expect(result["content"]?.stringValue == expected)
                #expect(result["cut_at"]?.intValue == 5)
                // Resumed while the run was still going: the rest came live, not only from the replay.
                #expect(result["finished_at_resume"]?.boolValue == false)
                #expect(server.hub.stats.accepted == 2)
            }
        }

        @Test func concurrentStreamsOnOneConnectionInterleave() async throws {
            let model = SimulatedProvider(base: ScriptedModelProvider(), delay: .milliseconds(5))
            let input = "Tell me about concurrency."
            let expected = try await AgentRunner(provider: ScriptedModelProvider()).run(DemoAgents.assistant, input).finalOutput
            try await TestServer.run(provider: model) { server in
                let output = try await PythonWebSockets.run("concurrent_streams", url: server.url, ["assistant", input, "4"])
                #expect(output.status == 0, "\(output.transcript)")
                let result = try #require(output.result, "\(output.transcript)")
                for index in 0..<4 {
                    #expect(result["texts"]?["c-\(index)"]?.stringValue == expected)
                }
                // Four streams of dozens of frames each, delivered as they are produced.
                let switches = result["switches"]?.intValue ?? 0
                #expect(switches >= 8, "frames of the four streams barely interleave: \(switches) switches")
            }
        }
    }
}
