// A chat room under an agent's answer: members in one room, the room's agent streaming a long
// answer at a steady rate, and the latency of every chunk from the model to every member.
// The model stamps each delta with the monotonic clock when it yields it; each member reads
// the stamp back out of its `response_chunk` frame.
import Foundation
import NIOCore
import NIOPosix
import RAAFStreaming
import ServiceLifecycle

/// A model that answers anything with `chunks` text deltas, `rate` a second, each `t=<ns>;`:
/// the monotonic time at which it yields the delta.
struct PacedModelProvider: ModelProvider {
    let chunks: Int
    let rate: Int

    func stream(_ request: ModelRequest) async throws -> ModelResponseStream {
        ModelResponseStream(PacedDeltas(chunks: chunks, interval: .nanoseconds(1_000_000_000 / rate)))
    }
}

struct PacedDeltas: AsyncSequence {
    typealias Element = ModelDelta
    let chunks: Int
    let interval: Duration

    func makeAsyncIterator() -> Iterator { Iterator(chunks: chunks, interval: interval, next: ContinuousClock.now) }

    struct Iterator: AsyncIteratorProtocol {
        let chunks: Int
        let interval: Duration
        var next: ContinuousClock.Instant
        var sent = 0

        mutating func next() async throws -> ModelDelta? {
            if sent == chunks {
                sent += 1
                return .finish(.stop)
            }
            guard sent < chunks else { return nil }
            // A steady schedule: a late wake-up does not shift the following deltas.
            next += interval
            try await Task.sleep(until: next, clock: .continuous)
            sent += 1
            return .text("t=\(monotonicNanoseconds());")
        }
    }
}

struct ChatRoomResult {
    /// Model-to-member latency of every chunk at every member, in nanoseconds.
    var latencies: [Int]
    /// Frames the members received from the user's message to the answer's `chat_message`.
    var deliveries: Int
    var seconds: Double
    /// The whole server: this process but the load clients' event loop.
    var serverCPU: CPUTime
    /// The server's event loops alone (the WebSocket writes); the rest is the answer's task
    /// (the runner and the room's broadcast) on Swift's cooperative pool.
    var eventLoopCPU: CPUTime
    /// The load clients' event loop, which reads every frame of every member.
    var clientCPU: CPUTime
}

enum ChatRoomBench {
    static let room = "bench"
    static let agent = "bench-agent"

    /// A chat service on `hub` whose one agent answers with `chunks` deltas, `rate` a second.
    static func service(on hub: ConnectionHub, members: Int, chunks: Int, rate: Int) throws -> ChatService {
        let chat = ChatService(
            hub: hub,
            runner: AgentRunner(provider: PacedModelProvider(chunks: chunks, rate: rate)),
            store: InMemoryChatStore(),
            agents: [agent: Agent(name: agent)],
            options: ChatOptions(
                maxRooms: 10,
                defaultMaxParticipants: members,
                participantLimit: max(1_000, members),
                messagesPerMinute: 1_000_000
            )
        )
        try chat.createRoom(named: room, maxParticipants: members, agent: agent)
        return chat
    }

    /// Joins `members` clients to the room, has one of them ask the agent, and waits until
    /// every member has every chunk of the answer and the answer's `chat_message`.
    static func run(port: Int, members: Int, chunks: Int, group: any EventLoopGroup) async throws -> ChatRoomResult {
        let counters = LoadCounters(recordsLatency: true, timestamps: .responseChunk)
        let clients = try await LoadClients.connect(count: members, port: port, group: group, counters: counters)
        defer { Task { await clients.close() } }
        for (index, channel) in clients.channels.enumerated() {
            let join = #"{"type":"join_room","room":"\#(room)","user":"member-\#(index)"}"#
            var buffer = channel.allocator.buffer(capacity: join.utf8.count + 8)
            clientTextFrame(join, into: &buffer)
            channel.writeAndFlush(buffer, promise: nil)
        }
        // Each member gets its `room_joined`, and `user_joined` for every member after it.
        try await FanOut.waitFor(timeout: .seconds(120)) {
            counters.frames.load(ordering: .relaxed) >= members + members * (members - 1) / 2
        }
        counters.frames.store(0, ordering: .relaxed)
        _ = counters.takeLatencies()

        // Per member: the question's `chat_message`, `agent_typing_start`, the chunks,
        // `agent_typing_stop`, the answer's `chat_message`.
        let total = members * (chunks + 4)
        let serverCPU = { ProcFS.processCPU() - ProcFS.threadsCPU(prefix: "NIO-ELT") }
        let eventLoopCPU = { ProcFS.threadsCPU(prefix: BenchServer.threadPrefix) }
        let startCPU = serverCPU()
        let startLoops = eventLoopCPU()
        let startClients = ProcFS.threadsCPU(prefix: "NIO-ELT")
        let began = ContinuousClock.now
        let ask = #"{"type":"chat_message","room":"\#(room)","content":"tell me everything"}"#
        let asker = clients.channels[0]
        var buffer = asker.allocator.buffer(capacity: ask.utf8.count + 8)
        clientTextFrame(ask, into: &buffer)
        asker.writeAndFlush(buffer, promise: nil)
        try await FanOut.waitFor(timeout: .seconds(300)) { counters.frames.load(ordering: .relaxed) >= total }
        let elapsed = ContinuousClock.now - began
        let cpu = serverCPU() - startCPU
        let loops = eventLoopCPU() - startLoops
        let clientCPU = ProcFS.threadsCPU(prefix: "NIO-ELT") - startClients
        // Each handler keeps up to 255 samples before handing them over: collect the rest.
        for channel in clients.channels {
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.handler(type: LoadConnectionHandler.self).flushSamples()
            }.get()
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return ChatRoomResult(
            latencies: counters.takeLatencies(), deliveries: counters.frames.load(ordering: .relaxed),
            seconds: seconds, serverCPU: cpu, eventLoopCPU: loops, clientCPU: clientCPU)
    }
}

extension ProcFS {
    /// User and system CPU of this whole process.
    static func processCPU() -> CPUTime {
        cpu(statPath: "/proc/self/stat") ?? CPUTime(user: 0, system: 0)
    }
}
