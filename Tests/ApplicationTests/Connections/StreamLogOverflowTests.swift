import StreamingApplication
import StreamingDomain
import StreamingTestSupport
import Testing

extension StreamLogOutageTests {
    @Test("a stream stopped by the buffer's bound is logged whole, with its error, once the log is back")
    func overflowIsLoggedWhenTheLogReturns() async throws {
        let model = GatedModel(tokens: GatedModel.tokens(count: 40))
        let log = SwitchableLog()
        let hub = Self.hub(model: model, log: log, maxPending: 5)
        try await withRunningHub(hub) {
            let client = try hub.connectClient()
            log.down.store(true, ordering: .relaxed)
            client.send(#"{"type":"agent_stream","id":"overflowed","agent":"assistant","input":"hi"}"#)
            for released in 1...40 where client.sink.last?["type"]?.stringValue != "error" {
                model.release()
                try await waitUntil("chunk \(released) or the end") {
                    client.sink.messages(ofType: "response_chunk").count == released
                        || client.sink.last?["type"]?.stringValue == "error"
                }
            }
            #expect(client.sink.errorCodes == ["cluster_unavailable"])

            // The log comes back: the writer writes what it held, the error last, and ends.
            log.down.store(false, ordering: .relaxed)
            try await waitUntil("the stream's end in the log") { (try? await log.record("overflowed"))?.isFinished == true }
            let logged = try await log.frames(of: "overflowed", after: 0, limit: 100)
            let sent = client.sink.messages.compactMap { $0["seq"]?.intValue }
            #expect(logged.map(\.seq) == sent, "the log holds what the client got, without a gap")
            #expect(logged.last.map(\.type) == "error")
            let lastText = String(decoding: logged.last.map(\.frame.bytes) ?? [], as: UTF8.self)
            #expect(lastText.contains(#""code":"cluster_unavailable""#), "\(lastText)")
        }
    }
}
