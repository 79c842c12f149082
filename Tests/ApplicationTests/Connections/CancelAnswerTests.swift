import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Testing

/// A `cancel` is answered on the connection that sent it (issue 17): a follower hears the
/// stream's final `error` frame; any other connection gets a `cancelled` frame.
@Suite("cancel is answered on the canceller's connection")
struct CancelAnswerTests {
    @Test("a second connection cancels another's stream: it gets cancelled, the owner the final error frame")
    func cancelFromAnotherConnection() async throws {
        let model = CancellationProbe(SimulatedProvider(base: ScriptedModelProvider(), delay: .seconds(3600)))
        let hub = HubFixture.hub(streams: HubFixture.service(provider: model))
        let owner = try hub.connectClient()
        let canceller = try hub.connectClient()
        try await withRunningHub(hub) {
            owner.send(#"{"type":"agent_stream","id":"s1","agent":"assistant","input":"hi"}"#)
            try await waitUntil(timeout: .seconds(30), "the run to wait on the model") { model.pulls == 1 }
            canceller.send(#"{"type":"cancel","id":"s1"}"#)
            try await owner.waitForEnd(of: "s1")
            try await waitUntil("the canceller's answer") { canceller.sink.last?["type"] == "cancelled" }
        }
        #expect(canceller.sink.last == ["type": "cancelled", "id": "s1"])
        #expect(canceller.streamFrames("s1").isEmpty, "the canceller does not follow the stream")
        #expect(owner.streamFrames("s1").last?["code"] == "cancelled")
        #expect(!owner.sink.messages.contains { $0["type"] == "cancelled" }, "the follower's answer is the error frame")
    }

    @Test("the connected frame carries the transport's client address when it knows one")
    func connectedCarriesAddress() throws {
        let hub = HubFixture.hub()
        let client = try hub.connectClient(info: ConnectionInfo(remoteAddress: "203.0.113.7"))
        #expect(client.sink.last?["client_address"] == "203.0.113.7")
        let anonymous = try hub.connectClient()
        #expect(anonymous.sink.last?["client_address"] == nil)
    }
}
