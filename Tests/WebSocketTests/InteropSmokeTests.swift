import RAAFStreaming
import StreamingTestSupport
import StreamingWebSocket
import Testing
extension InteropTests {
    @Suite("Python websockets against the server")
    struct Smoke {
        @Test func subscribePublish() async throws {
            try await TestServer.run { server in
                let output = try await PythonWebSockets.run("pubsub", url: server.url)
                #expect(output.status == 0, "\(output.transcript)")
            }
        }

        @Test func agentStreamGivesTheRunResultText() async throws {
            let input = "Tell me about streaming."
            let expected = try await AgentRunner(provider: ScriptedModelProvider()).run(DemoAgents.assistant, input).finalOutput
            try await TestServer.run { server in
                let output = try await PythonWebSockets.run("agent", url: server.url, ["assistant", input])
                #expect(output.status == 0, "\(output.transcript)")
                #expect(output.stdout == expected)
            }
        }
    }
}
