import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Testing

@Suite("Agent stream resume and retention", .timeLimit(.minutes(2)))
struct AgentStreamResumeTests {
    @Test("resume from another connection replays the frames after N, then continues live, without duplicates")
    func resumeAfterDisconnect() async throws {
        let model = SimulatedProvider(base: ScriptedModelProvider(), delay: .milliseconds(10))
        let hub = HubFixture.hub(streams: HubFixture.service(provider: model))
        let first = try hub.connectClient()
        let input = "what happens when my connection drops"
        let (seen, second) = try await withRunningHub(hub) {
            first.send(["type": "agent_stream", "id": "s1", "agent": "assistant", "input": .string(input)])
            try await first.waitForFrames(of: "s1", count: 3)
            hub.disconnect(first.connection)  // the transport lost the client
            let seen = first.streamFrames("s1")

            let second = try hub.connectClient()
            second.sink.clear()
            second.send(["type": "resume", "id": "s1", "after_seq": .int(seen.count)])
            try await second.waitForEnd(of: "s1")
            return (seen, second)
        }

        #expect(seqs(seen) == Array(1...seen.count))
        let resumed = try #require(second.sink.messages.first)
        #expect(resumed["type"] == "resumed")
        #expect(resumed["id"] == "s1")
        #expect(resumed["after_seq"] == .int(seen.count))
        #expect(resumed["finished"] == false)
        let lastSeqAtResume = try #require(resumed["last_seq"]?.intValue)

        let rest = second.streamFrames("s1")
        let finalSeq = try #require(rest.last?["seq"]?.intValue)
        #expect(seqs(rest) == Array((seen.count + 1)...finalSeq))
        // Some frames came live, after the replay.
        #expect(finalSeq > lastSeqAtResume)
        let answer = try await HubFixture.directAnswer(input)
        #expect(chunkText(seen) + chunkText(rest) == answer)
        #expect(rest.last?["type"] == "complete")
        #expect(rest.last?["content"] == .string(answer))
        // The first client heard nothing after it was gone.
        #expect(first.streamFrames("s1").count == seen.count)
    }

    @Test("resumes racing with live frames each get every later frame exactly once, in order")
    func concurrentResumes() async throws {
        let model = SimulatedProvider(base: ScriptedModelProvider(), delay: .milliseconds(1))
        let hub = HubFixture.hub(streams: HubFixture.service(provider: model))
        let owner = try hub.connectClient()
        let resumers = try (0..<8).map { _ in try hub.connectClient() }
        try await withRunningHub(hub) {
            owner.send(#"{"type":"agent_stream","id":"s1","agent":"assistant","input":"race me"}"#)
            let stream = try #require(hub.streams.stream("s1"))
            for resumer in resumers {
                let after = max(0, stream.lastSeq - 2)
                resumer.sink.clear()
                resumer.send(["type": "resume", "id": "s1", "after_seq": .int(after)])
                try await waitUntil(timeout: .seconds(30), "the stream to move on") {
                    stream.lastSeq > after + 2 || stream.isFinished
                }
            }
            for resumer in resumers { try await resumer.waitForEnd(of: "s1") }
        }
        let total = owner.streamFrames("s1").count
        for resumer in resumers {
            let after = try #require(resumer.sink.messages.first?["after_seq"]?.intValue)
            let frames = resumer.streamFrames("s1")
            #expect(seqs(frames) == Array((after + 1)...total))
            #expect(frames == Array(owner.streamFrames("s1").dropFirst(after)))
        }
    }

    @Test("resume of a finished stream replays the rest and says it is finished")
    func resumeFinished() async throws {
        let hub = HubFixture.hub()
        let first = try hub.connectClient()
        let late = try hub.connectClient()
        try await withRunningHub(hub) {
            first.send(#"{"type":"agent_stream","id":"done","agent":"assistant","input":"hello"}"#)
            try await first.waitForEnd(of: "done")
            let all = first.streamFrames("done")
            #expect(hub.streams.stream("done")?.lastSeq == all.count)

            late.sink.clear()
            late.send(#"{"type":"resume","id":"done","after_seq":5}"#)
            #expect(late.sink.messages.first == [
                "type": "resumed", "id": "done", "after_seq": 5, "last_seq": .int(all.count), "finished": true,
            ])
            #expect(late.streamFrames("done") == Array(all.dropFirst(5)))

            // Resuming at the end replays nothing, but is not an error.
            late.sink.clear()
            late.send(["type": "resume", "id": "done", "after_seq": .int(all.count)])
            #expect(late.sink.messages.map { $0["type"] } == ["resumed"])

            // A client cannot have seen frames past the last one: that is a broken request.
            late.sink.clear()
            late.send(["type": "resume", "id": "done", "after_seq": .int(all.count + 5)])
            #expect(late.sink.errorCodes == ["invalid_message"])
            #expect(late.streamFrames("done").allSatisfy { $0["type"] == "error" })
        }
    }

    @Test("resume of an unknown stream is not_found with the id")
    func resumeUnknown() throws {
        let hub = HubFixture.hub()
        let client = try hub.connectClient()
        client.sink.clear()
        client.send(#"{"type":"resume","id":"ghost","after_seq":3}"#)
        #expect(client.sink.messages == [[
            "type": "error", "id": "ghost", "code": "not_found", "message": #"no stream "ghost""#,
            "request_type": "resume",
        ]])
    }

    @Test("forgetExpired forgets finished streams once the retention has passed")
    func retention() async throws {
        let options = AgentStreamOptions(retention: .seconds(120))
        let hub = HubFixture.hub(streams: HubFixture.service(options: options))
        let client = try hub.connectClient()
        try await withRunningHub(hub) {
            client.send(#"{"type":"agent_stream","id":"s1","agent":"assistant","input":"hi"}"#)
            try await client.waitForEnd(of: "s1")
            try await waitUntil(timeout: .seconds(30), "the stream to count as retained") {
                hub.stats.retainedStreams == 1
            }
            let finishedBy = ContinuousClock.now

            hub.streams.forgetExpired(now: finishedBy + .seconds(60))
            #expect(hub.streams.stream("s1") != nil)

            hub.streams.forgetExpired(now: finishedBy + .seconds(120))
            #expect(hub.streams.stream("s1") == nil)
            #expect(hub.stats.retainedStreams == 0)

            client.sink.clear()
            client.send(#"{"type":"resume","id":"s1","after_seq":0}"#)
            #expect(client.sink.errorCodes == ["not_found"])
        }
    }

    @Test("run() sweeps expired streams by itself")
    func periodicSweep() async throws {
        let options = AgentStreamOptions(retention: .milliseconds(100))
        let hub = HubFixture.hub(streams: HubFixture.service(options: options))
        let client = try hub.connectClient()
        try await withRunningHub(hub) {
            client.send(#"{"type":"agent_stream","id":"s1","agent":"assistant","input":"hi"}"#)
            try await client.waitForEnd(of: "s1")
            try await waitUntil(timeout: .seconds(30), "the finished stream to be forgotten") {
                hub.streams.stream("s1") == nil
            }
        }
    }

    @Test("at most maxRetainedStreams finished streams are kept; the oldest goes first")
    func retainedCount() async throws {
        let hub = HubFixture.hub(streams: HubFixture.service(options: AgentStreamOptions(maxRetainedStreams: 2)))
        let client = try hub.connectClient()
        try await withRunningHub(hub) {
            for id in ["a", "b", "c"] {
                client.send(["type": "agent_stream", "id": .string(id), "agent": "assistant", "input": "hi"])
                try await client.waitForEnd(of: id)
            }
            try await waitUntil(timeout: .seconds(30), "the oldest stream to be forgotten") {
                hub.streams.stream("a") == nil
            }
            #expect(hub.streams.stream("b") != nil)
            #expect(hub.streams.stream("c") != nil)
            #expect(hub.streams.stats.retained == 2)

            // A forgotten id may be used again.
            client.sink.clear()
            client.send(#"{"type":"agent_stream","id":"a","agent":"assistant","input":"again"}"#)
            try await client.waitForEnd(of: "a")
            #expect(client.sink.errorCodes.isEmpty)
        }
    }

    @Test("when the replay buffer no longer holds the frames after N, resume is refused with not_found")
    func replayOverflow() async throws {
        let hub = HubFixture.hub(streams: HubFixture.service(options: AgentStreamOptions(maxReplayFrames: 4)))
        let client = try hub.connectClient()
        let late = try hub.connectClient()
        try await withRunningHub(hub) {
            client.send(#"{"type":"agent_stream","id":"s1","agent":"assistant","input":"hi"}"#)
            try await client.waitForEnd(of: "s1")
            let all = client.streamFrames("s1")
            #expect(all.count > 10)  // the follower itself got every frame
            let last = all.count

            late.sink.clear()
            for afterSeq in [0, last - 5] {
                late.send(["type": "resume", "id": "s1", "after_seq": .int(afterSeq)])
                #expect(late.sink.last?["code"] == "not_found")
                #expect(late.sink.last?["id"] == "s1")
            }
            #expect(late.streamFrames("s1").isEmpty)

            late.sink.clear()
            late.send(["type": "resume", "id": "s1", "after_seq": .int(last - 4)])
            #expect(seqs(late.streamFrames("s1")) == Array((last - 3)...last))
            #expect(late.streamFrames("s1") == Array(all.suffix(4)))
        }
    }

    @Test("AgentStream.frames(after:) yields the same frames a follower receives (the SSE path)")
    func pullFrames() async throws {
        let model = SimulatedProvider(base: ScriptedModelProvider(), delay: .milliseconds(2))
        let hub = HubFixture.hub(streams: HubFixture.service(provider: model))
        let client = try hub.connectClient()
        let (all, tail) = try await withRunningHub(hub) {
            client.send(#"{"type":"agent_stream","id":"s1","agent":"assistant","input":"pull me"}"#)
            let stream = try #require(hub.streams.stream("s1"))
            async let all = collectFrames(stream.frames())
            async let tail = collectFrames(stream.frames(after: 3))
            return try await (all, tail)
        }

        let pushed = client.sink.frames.filter { frame in
            (try? JSONValue(parsing: frame.text))?["id"] == "s1"
        }
        #expect(all.map(\.frame) == pushed)
        #expect(all.map(\.seq) == Array(1...all.count))
        #expect(all.last?.type == "complete")
        #expect(all.last?.isFinal == true)
        #expect(all.dropLast().allSatisfy { !$0.isFinal })
        #expect(tail.map(\.seq) == Array(4...all.count))
        #expect(tail.map(\.frame) == Array(pushed.dropFirst(3)))
    }

    @Test("frames(after:) throws not_found when the frames it needs were forgotten")
    func pullFramesGap() async throws {
        let hub = HubFixture.hub(streams: HubFixture.service(options: AgentStreamOptions(maxReplayFrames: 4)))
        let client = try hub.connectClient()
        try await withRunningHub(hub) {
            client.send(#"{"type":"agent_stream","id":"s1","agent":"assistant","input":"hi"}"#)
            try await client.waitForEnd(of: "s1")
        }
        let stream = try #require(hub.streams.stream("s1"))
        await #expect(throws: StreamingError.self) { try await collectFrames(stream.frames()) }
        #expect(try await collectFrames(stream.frames(after: stream.lastSeq - 4)).count == 4)
        #expect(try await collectFrames(stream.frames(after: stream.lastSeq)).isEmpty)
    }

    @Test("with authentication, another identity may not resume or cancel a stream; its owner may")
    func ownership() async throws {
        let tokens = ["alice-token": "alice", "bob-token": "bob"]
        let model = SimulatedProvider(base: ScriptedModelProvider(), delay: .seconds(3600))
        let hub = HubFixture.hub(streams: HubFixture.service(provider: model), authenticate: { tokens[$0] })
        let alice = try hub.connectClient()
        let bob = try hub.connectClient()
        let aliceAgain = try hub.connectClient()
        alice.send(#"{"type":"auth","token":"alice-token"}"#)
        bob.send(#"{"type":"auth","token":"bob-token"}"#)
        aliceAgain.send(#"{"type":"auth","token":"alice-token"}"#)

        try await withRunningHub(hub) {
            alice.send(#"{"type":"agent_stream","id":"mine","agent":"assistant","input":"secret plans"}"#)
            #expect(hub.streams.stream("mine")?.owner == "alice")

            bob.sink.clear()
            bob.send(#"{"type":"resume","id":"mine","after_seq":0}"#)
            bob.send(#"{"type":"cancel","id":"mine"}"#)
            #expect(bob.sink.messages.map { $0["code"] } == ["forbidden", "forbidden"])
            #expect(bob.sink.messages.allSatisfy { $0["id"] == "mine" })
            #expect(hub.streams.stream("mine")?.isFinished == false)

            aliceAgain.sink.clear()
            aliceAgain.send(#"{"type":"resume","id":"mine","after_seq":0}"#)
            #expect(aliceAgain.sink.messages.first?["type"] == "resumed")
            aliceAgain.send(#"{"type":"cancel","id":"mine"}"#)
            try await aliceAgain.waitForEnd(of: "mine")
            try await alice.waitForEnd(of: "mine")
        }
        #expect(aliceAgain.streamFrames("mine").last?["code"] == "cancelled")
        #expect(bob.streamFrames("mine").isEmpty)
    }
}

/// Every frame of a pull-based read.
func collectFrames(_ frames: AgentStream.Frames) async throws -> [StreamFrame] {
    var collected: [StreamFrame] = []
    for try await frame in frames { collected.append(frame) }
    return collected
}
