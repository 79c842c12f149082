// A chat room under an agent's answer, its members spread over 3 nodes on Redis (issue 14),
// against the same room on one node without Redis, in the same run: chat services with their
// hubs in this process, members on recording transports. The model stamps each delta with the
// monotonic clock when it yields it (`t=<ns>;`); each member reads the stamp back out of its
// `response_chunk` frame: model-to-member latency of every chunk at every member.
import Foundation
import Logging
import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingRedis
import Synchronization

/// `chunks` deltas, `rate` a second on a steady schedule, each `t=<uptime ns>;`.
private struct StampedModel: ModelProvider {
    let chunks: Int
    let rate: Int

    func stream(_ request: ModelRequest) async throws -> ModelResponseStream {
        ModelResponseStream(StampedDeltas(chunks: chunks, interval: .nanoseconds(1_000_000_000 / rate), next: .now))
    }
}

private struct StampedDeltas: AsyncSequence, AsyncIteratorProtocol {
    let chunks: Int
    let interval: Duration
    var next: ContinuousClock.Instant
    var sent = 0

    func makeAsyncIterator() -> StampedDeltas { self }

    mutating func next() async throws -> ModelDelta? {
        guard sent <= chunks else { return nil }
        sent += 1
        if sent > chunks { return .finish(.stop) }
        // A steady schedule: a late wake-up does not shift the following deltas.
        next += interval
        try await Task.sleep(until: next, clock: .continuous)
        return .text("t=\(DispatchTime.now().uptimeNanoseconds);")
    }
}

/// A member's transport: the latency of every chunk, and whether the answer's message came.
private final class ChatMemberSink: ConnectionSink {
    let latencies = Mutex<[Int]>([])
    let answered = Atomic<Bool>(false)
    let joined = Atomic<Bool>(false)

    private static let stampMarker = Array("t=".utf8)
    private static let chunkType = Array(#""type":"response_chunk""#.utf8)
    private static let joinedType = Array(#""type":"room_joined""#.utf8)
    private static let agentMessage = Array(#""sender":"agent""#.utf8)

    func send(_ frame: OutboundFrame) -> Bool {
        let now = Int(DispatchTime.now().uptimeNanoseconds)
        let bytes = frame.bytes
        if LatencySink.index(of: Self.chunkType, in: bytes) != nil, let start = LatencySink.index(of: Self.stampMarker, in: bytes) {
            var value = 0
            var index = start + Self.stampMarker.count
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                value = value * 10 + Int(bytes[index] - 48)
                index += 1
            }
            latencies.withLock { $0.append(now - value) }
        } else if LatencySink.index(of: Self.joinedType, in: bytes) != nil {
            joined.store(true, ordering: .relaxed)
        } else if LatencySink.index(of: Self.agentMessage, in: bytes) != nil {
            answered.store(true, ordering: .relaxed)
        }
        return true
    }

    func close(code: CloseCode, reason: String) {}
    func ping() {}
}

/// Latencies (ns, sorted) of every chunk at every member: `members` members over `nodes` nodes
/// (on Redis when `clustered`), one answer of `chunks` chunks at `rate` a second.
func chatAnswerLatency(nodes: Int, clustered: Bool, members: Int = 500, chunks: Int = 1_000, rate: Int = 100) async throws -> [Int] {
    let space = namespace()
    let agent = Agent(name: "bench-agent")
    var hubs: [ConnectionHub] = []
    var chats: [ChatService] = []
    var ledgers: [RedisChatLedger] = []
    for index in 0..<nodes {
        let hub = ConnectionHub(
            options: ConnectionHubOptions(maxConnections: 100_000, messagesPerMinute: 100_000_000),
            streams: AgentStreamService(runner: AgentRunner(provider: StampedModel(chunks: chunks, rate: rate)), agents: { _ in nil }))
        let ledger = clustered ? try RedisChatLedger(configuration: redis, namespace: space, nodeID: "chat-bench-\(index + 1)", logger: logger) : nil
        if let ledger { ledgers.append(ledger) }
        hubs.append(hub)
        chats.append(ChatService(
            hub: hub, runner: AgentRunner(provider: StampedModel(chunks: chunks, rate: rate)), store: InMemoryChatStore(),
            agents: [agent.name: agent],
            options: ChatOptions(maxRooms: 10, defaultMaxParticipants: members, participantLimit: max(1_000, members), messagesPerMinute: 1_000_000),
            ledger: ledger))
    }
    let latencies = try await withThrowingTaskGroup(of: Void.self) { group in
        for hub in hubs { group.addTask { await hub.run() } }
        for chat in chats { group.addTask { await chat.run() } }
        defer {
            for chat in chats { chat.shutdown() }
            for hub in hubs { hub.shutdown() }
        }
        try chats[0].createRoom(named: "bench", maxParticipants: members, agent: agent.name)
        // In a cluster the room is created in the background: wait for it.
        if clustered { try await waitFor { (try? await ledgers[0].room(named: "bench")) != nil } }
        var sinks: [ChatMemberSink] = []
        var connections: [(ConnectionHub, Connection)] = []
        for index in 0..<members {
            let hub = hubs[index % nodes]
            let sink = ChatMemberSink()
            let connection = hub.connect(sink)!
            hub.receive(text: #"{"type":"join_room","room":"bench","user":"member-\#(index)"}"#, from: connection)
            sinks.append(sink)
            connections.append((hub, connection))
        }
        do {
            try await waitFor { sinks.allSatisfy { $0.joined.load(ordering: .relaxed) } }
        } catch {
            print("chat bench: \(sinks.filter { $0.joined.load(ordering: .relaxed) }.count) of \(members) joined")
            throw error
        }
        let (asker, connection) = connections[0]
        asker.receive(text: #"{"type":"chat_message","room":"bench","content":"tell me everything"}"#, from: connection)
        do {
            try await waitFor(timeout: .seconds(Int64(chunks / rate + 60))) { sinks.allSatisfy { $0.answered.load(ordering: .relaxed) } }
        } catch {
            let chunked = sinks.filter { !$0.latencies.withLock(\.isEmpty) }.count
            print("chat bench: \(sinks.filter { $0.answered.load(ordering: .relaxed) }.count) of \(members) answered, \(chunked) got chunks")
            throw error
        }
        return sinks.flatMap { $0.latencies.withLock { $0 } }.sorted()
    }
    for ledger in ledgers { await ledger.close() }
    return latencies
}
