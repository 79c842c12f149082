import StreamingApplication
import StreamingDomain
import StreamingTestSupport
import Testing

/// A draining hub (a deploy's SIGTERM) and the chat answers running on it.
@Suite("Hub drain with chat answers")
struct ChatDrainTests {
    @Test("idle members leave with 1012 at once; the room being answered hears the whole answer, then 1012")
    func answerInFlightIsFinished() async throws {
        try await withChat(provider: ChatFixture.slowModel(delay: .milliseconds(20))) { chat in
            let (alice, bob) = try ChatAgentTests.twoMembers(chat)
            let idle = try chat.client()
            alice.say("Tell me a long story", in: "general")
            try await bob.waitFor("response_chunk", count: 2)

            async let end = chat.hub.drain(grace: .seconds(60), work: [chat.chat.drainWork])
            try await waitUntil("the idle client to be closed") { idle.sink.closeCode != nil }
            #expect(idle.sink.closeCode == .serviceRestart)
            #expect(alice.sink.closeCode == nil && bob.sink.closeCode == nil)
            // A message during the drain is posted but not answered.
            bob.say("And another one", in: "general")
            try await bob.waitFor("error") { $0["code"] == "shutting_down" }

            #expect(await end == .finished)
            for client in [alice, bob] {
                try await ChatAgentTests.waitForAnswer(client)
                let stop = try #require(client.frames("agent_typing_stop").first)
                #expect(stop["stopped"] == false)
                #expect(client.frames("agent_typing_stop").count == 1)
                #expect(client.sink.closeCode == .serviceRestart)
            }
        }
    }

    @Test("at the end of the grace a running answer stops with a shutting_down error, then 1012")
    func graceRunsOut() async throws {
        try await withChat(provider: ChatFixture.slowModel(delay: .milliseconds(50))) { chat in
            let (alice, bob) = try ChatAgentTests.twoMembers(chat)
            alice.say("Tell me a long story", in: "general")
            try await bob.waitFor("response_chunk", count: 1)
            let stopNow = OneWaySignal()
            async let end = chat.hub.drain(grace: .seconds(600), work: [chat.chat.drainWork], stopNow: stopNow)
            stopNow.set()
            #expect(await end == .stoppedAtOnce)
            for client in [alice, bob] {
                let stop = try #require(client.frames("agent_typing_stop").first)
                #expect(stop["stopped"] == true)
                #expect(stop["error"]?["code"] == "shutting_down")
                #expect(client.sink.closeCode == .serviceRestart)
            }
        }
    }

    @Test("a new connection and a new agent stream are refused during the drain")
    func refusals() async throws {
        try await withChat { chat in
            let idle = try chat.client()
            #expect(chat.hub.isReady)
            await chat.hub.drain(grace: .seconds(1))
            #expect(!chat.hub.isReady && chat.hub.isDraining)
            #expect(!chat.hub.hasRoomForConnection())
            #expect(idle.sink.closeCode == .serviceRestart)
            do {
                _ = try chat.hub.streams.start(id: "late", agent: HubFixture.assistant.name, input: "hi", owner: nil)
                Issue.record("a stream started during the drain")
            } catch let error as ProtocolFailure {
                #expect(error.code == .shuttingDown)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }
}
