import StreamingApplication
import StreamingDomain
import Testing

@Suite("ConnectionHub channels and broadcast")
struct HubChannelTests {
    @Test("subscribe and unsubscribe are answered, and idempotent")
    func subscribeReplies() throws {
        let hub = HubFixture.hub()
        let client = try hub.connectClient()
        client.sink.clear()

        client.send(#"{"type":"subscribe","channel":"news"}"#)
        client.send(#"{"type":"subscribe","channel":"news"}"#)
        #expect(client.sink.messages == [
            ["type": "subscribed", "channel": "news"], ["type": "subscribed", "channel": "news"],
        ])
        #expect(client.connection.channels == ["news"])
        #expect(hub.subscribers(of: "news").map(\.id) == [client.id])
        #expect(hub.stats.subscriptions == 1)

        client.sink.clear()
        client.send(#"{"type":"unsubscribe","channel":"news"}"#)
        client.send(#"{"type":"unsubscribe","channel":"never-joined"}"#)
        #expect(client.sink.messages == [
            ["type": "unsubscribed", "channel": "news"], ["type": "unsubscribed", "channel": "never-joined"],
        ])
        #expect(client.connection.channels.isEmpty)
        #expect(hub.subscribers(of: "news").isEmpty)
        #expect(hub.stats.channels == 0)
        #expect(hub.stats.subscriptions == 0)
    }

    @Test("a publish reaches every subscriber, the sender included, with from")
    func publishReachesSubscribers() throws {
        let hub = HubFixture.hub()
        let sender = try hub.connectClient()
        let others = try (0..<3).map { _ in try hub.connectClient() }
        let outsider = try hub.connectClient()
        for client in [sender] + others { client.send(#"{"type":"subscribe","channel":"room"}"#) }
        outsider.send(#"{"type":"subscribe","channel":"elsewhere"}"#)
        for client in [sender, outsider] + others { client.sink.clear() }

        sender.send(#"{"type":"publish","channel":"room","data":{"text":"hello","n":[1,2.5,null]}}"#)

        let expected: JSONValue = [
            "type": "message", "channel": "room", "data": ["text": "hello", "n": [1, 2.5, nil]],
            "from": .string(sender.id.rawValue),
        ]
        for client in [sender] + others { #expect(client.sink.messages == [expected]) }
        #expect(outsider.sink.frames.isEmpty)
    }

    @Test("membership changes between publishes are seen by the next publish")
    func membershipChanges() throws {
        let hub = HubFixture.hub()
        let a = try hub.connectClient()
        let b = try hub.connectClient()
        a.send(#"{"type":"subscribe","channel":"room"}"#)
        #expect(hub.publish(1, on: "room") == 1)

        b.send(#"{"type":"subscribe","channel":"room"}"#)
        #expect(hub.publish(2, on: "room") == 2)

        a.send(#"{"type":"unsubscribe","channel":"room"}"#)
        #expect(hub.publish(3, on: "room") == 1)

        #expect(a.sink.messages(ofType: "message").map { $0["data"] } == [1, 2])
        #expect(b.sink.messages(ofType: "message").map { $0["data"] } == [2, 3])
    }

    @Test("a client may publish to a channel it has not joined; it does not hear the echo")
    func publishWithoutSubscribing() throws {
        let hub = HubFixture.hub()
        let listener = try hub.connectClient()
        let sender = try hub.connectClient()
        listener.send(#"{"type":"subscribe","channel":"room"}"#)
        listener.sink.clear()
        sender.sink.clear()

        sender.send(#"{"type":"publish","channel":"room","data":"hi"}"#)
        sender.send(#"{"type":"publish","channel":"empty","data":"nobody"}"#)

        #expect(listener.sink.messages.map { $0["data"] } == ["hi"])
        #expect(sender.sink.frames.isEmpty)
    }

    @Test("one publish is encoded once: every subscriber gets the same frame storage")
    func framesAreShared() throws {
        let hub = HubFixture.hub()
        let clients = try (0..<4).map { _ in try hub.connectClient() }
        for client in clients {
            client.send(#"{"type":"subscribe","channel":"room"}"#)
            client.sink.clear()
        }

        #expect(hub.publish(["big": .string(String(repeating: "x", count: 4096))], on: "room") == 4)

        let frames = clients.compactMap(\.sink.frames.first)
        #expect(frames.count == 4)
        #expect(Set(frames).count == 1)
        let addresses = Set(frames.map { frame in frame.bytes.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } })
        #expect(addresses.count == 1)
    }

    @Test("server publishes carry no from; broadcast and send hand frames over as they are")
    func serverSends() throws {
        let hub = HubFixture.hub()
        let a = try hub.connectClient()
        let b = try hub.connectClient()
        a.send(#"{"type":"subscribe","channel":"c"}"#)
        a.sink.clear()
        b.sink.clear()

        #expect(hub.publish(["n": 1], on: "c") == 1)
        #expect(a.sink.last == ["type": "message", "channel": "c", "data": ["n": 1]])

        let notice = OutboundFrame(text: #"{"type":"notice"}"#)
        #expect(hub.broadcast(notice, on: "c") == 1)
        #expect(hub.broadcastToAll(notice) == 2)
        #expect(hub.send(notice, to: b.id))
        #expect(!hub.send(notice, to: ConnectionID("nobody")))
        #expect(a.sink.frames.suffix(2) == [notice, notice])
        #expect(b.sink.frames == [notice, notice])
    }

    @Test("maxChannelsPerConnection refuses one more channel with server_busy")
    func maxChannels() throws {
        let hub = HubFixture.hub(options: ConnectionHubOptions(maxChannelsPerConnection: 2))
        let client = try hub.connectClient()
        client.send(#"{"type":"subscribe","channel":"a"}"#)
        client.send(#"{"type":"subscribe","channel":"b"}"#)
        client.sink.clear()

        client.send(#"{"type":"subscribe","channel":"c"}"#)
        #expect(client.sink.errorCodes == ["server_busy"])
        #expect(client.sink.last?["request_type"] == "subscribe")
        #expect(client.connection.channels == ["a", "b"])
        #expect(hub.subscribers(of: "c").isEmpty)

        // Leaving one makes room; joining a channel again is not a new one.
        client.send(#"{"type":"subscribe","channel":"a"}"#)
        client.send(#"{"type":"unsubscribe","channel":"b"}"#)
        client.send(#"{"type":"subscribe","channel":"c"}"#)
        #expect(client.sink.errorCodes == ["server_busy"])
        #expect(client.connection.channels == ["a", "c"])
    }

    @Test("frames dropped on a full buffer are announced with a missed frame once it drains")
    func missedFrames() throws {
        let hub = HubFixture.hub()
        let slow = try hub.connectClient()
        let fast = try hub.connectClient()
        for client in [slow, fast] { client.send(#"{"type":"subscribe","channel":"c"}"#) }
        slow.sink.clear()
        slow.sink.fill()

        for n in 1...3 { #expect(hub.publish(.int(n), on: "c") == 1) }
        #expect(hub.stats.dropped == 3)
        #expect(slow.sink.frames.isEmpty)

        slow.sink.makeRoom()
        hub.drained(slow.connection)
        #expect(slow.sink.messages == [["type": "missed", "count": 3]])
        #expect(hub.stats.dropped == 3)

        // Nothing more was missed: no second notice.
        hub.drained(slow.connection)
        #expect(slow.sink.frames.count == 1)
        hub.drained(fast.connection)
        #expect(fast.sink.messages(ofType: "missed").isEmpty)
    }

    @Test("a missed notice that cannot be sent yet reports the dropped frames later, not itself")
    func missedNoticeRetried() throws {
        let hub = HubFixture.hub()
        let slow = try hub.connectClient()
        slow.send(#"{"type":"subscribe","channel":"c"}"#)
        slow.sink.clear()
        slow.sink.fill()
        for n in 1...3 { hub.publish(.int(n), on: "c") }

        hub.drained(slow.connection)  // the transport was wrong: still full
        #expect(slow.sink.frames.isEmpty)
        #expect(hub.stats.dropped == 3)

        slow.sink.makeRoom()
        hub.drained(slow.connection)
        #expect(slow.sink.messages == [["type": "missed", "count": 3]])
        #expect(hub.stats.dropped == 3)
    }

    @Test("frames a client never got stay counted in stats after it disconnects")
    func droppedSurvivesDisconnect() throws {
        let hub = HubFixture.hub()
        let slow = try hub.connectClient()
        slow.send(#"{"type":"subscribe","channel":"c"}"#)
        slow.sink.fill()
        for n in 1...3 { hub.publish(.int(n), on: "c") }
        #expect(hub.stats.dropped == 3)

        hub.disconnect(slow.connection)
        #expect(hub.stats.dropped == 3)
        hub.disconnect(slow.connection)
        #expect(hub.stats.dropped == 3)
    }
}
