import RAAFStreaming
import StreamingTestSupport
import StreamingWebSocket
import Testing

@Suite("Python websockets against the server")
struct InteropSmokeTests {
    @Test func subscribePublish() async throws {
        guard await PythonWebSockets.isAvailable() else {
            print("skipped: \(PythonWebSockets.requirement)")
            return
        }
        try await TestServer.run { server in
            let output = try await PythonWebSockets.run("pubsub", url: server.url)
            #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
        }
    }

    @Test func agentStreamGivesTheRunResultText() async throws {
        guard await PythonWebSockets.isAvailable() else {
            print("skipped: \(PythonWebSockets.requirement)")
            return
        }
        let input = "Tell me about streaming."
        let expected = try await AgentRunner(provider: ScriptedModelProvider()).run(DemoAgents.assistant, input).finalOutput
        try await TestServer.run { server in
            let output = try await PythonWebSockets.run("agent", url: server.url, ["assistant", input])
            #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
            #expect(output.stdout == expected)
        }
    }
}
