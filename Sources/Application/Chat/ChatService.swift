#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import StreamingDomain
import Synchronization

/// Chat rooms over the hub's wire protocol: rooms and their members, messages numbered per
/// room, typing indicators, history, and agents that answer in the room, hand off to each
/// other and stream their answers to every member (the Ruby gem's `RealTimeChat`).
///
/// The service registers its message types (`create_room`, `join_room`, `chat_message`...,
/// see docs/PROTOCOL.md, "Chat rooms") on a ``ConnectionHub``, so every transport of the hub
/// speaks them. Rooms and messages are kept by a ``ChatStore``: call ``load()`` before
/// serving, so a restarted server continues each room's `seq` and history.
///
/// Handlers never wait: a message is numbered and broadcast at once, and its store write,
/// the agent's answer and history reads of the store run in ``run()``, as its child tasks.
/// ``shutdown()`` stops the answers (their partial text is posted), and `run()` returns once
/// every posted message is written.
///
/// ```swift
/// let chat = ChatService(hub: hub, runner: runner, store: store, agents: ["assistant": assistant])
/// try await chat.load()
/// async let serving: Void = chat.run()
/// ...
/// chat.shutdown()
/// await serving
/// ```
public final class ChatService: Sendable {
    public let options: ChatOptions
    let hub: ConnectionHub
    let runner: AgentRunner
    let store: any ChatStore
    let agents: [String: Agent]
    let stopwatch: Stopwatch
    let logger: Logger

    struct Directory {
        var rooms: [String: ChatRoom] = [:]
        /// Room names in creation order.
        var order: [String] = []
        /// The rooms each connection is in, so a disconnect leaves them all.
        var memberships: [ConnectionID: Set<String>] = [:]
        var historyReads = 0
        var isShutDown = false
    }

    /// One token bucket per user (identity or display name), over all their connections.
    struct RateLimits {
        var buckets: [String: TokenBucket] = [:]
        /// The bucket count at which refilled buckets are forgotten.
        var pruneAt = 1024
    }

    /// Work a handler hands to ``run()``.
    enum Work: Sendable {
        /// Answer the waiting messages of a room.
        case answer(ChatRoom)
        /// Read a page of history from the store.
        case history(HistoryRead)
        /// Run a connection's queued cluster requests (``ChatClusterState``).
        case requests(ConnectionID)
        /// Answer a room of the cluster while this node answers it.
        case clusterAnswer(String)
        /// A ledger call that belongs to no connection's queue (the leaves of a closed connection).
        case task(@Sendable () async -> Void)
    }

    /// The cluster this service is a node of (``ChatLedger``); `nil` for rooms in one process.
    let cluster: ChatClusterState?

    // Lock order: directory, then a room, then rateLimits or writes. Never the other way.
    let directory: Mutex<Directory>
    let rateLimits: Mutex<RateLimits>
    let writes: Mutex<WriteQueue>
    let writerWakeup = Wakeup()
    let typingWakeup = Wakeup()
    let work: AsyncStream<Work>
    /// A drain began: no new answers (``drainWork``).
    let drainBegan = Atomic<Bool>(false)
    /// The drain stopped the answers still running: they end with `shutting_down`.
    let drainStopped = Atomic<Bool>(false)
    let workContinuation: AsyncStream<Work>.Continuation

    /// Creates the service and registers its message types and disconnect hook on `hub`.
    /// - Parameters:
    ///   - runner: Runs the rooms' agents.
    ///   - store: Keeps rooms and messages.
    ///   - agents: The agents rooms may use, by name: a room's agent, the specialists added
    ///     with `add_agent`, the targets of handoffs.
    ///   - clock: Times typing indicators and the store writer's retries.
    ///   - ledger: Makes this service one node of a cluster: rooms, members and answers are
    ///     decided by the ledger and shared by every node (docs/PROTOCOL.md, "Chat rooms
    ///     across nodes"); `store` must then hold the same rooms (`RedisChatStore`).
    ///   - clusterTiming: Heartbeats and the detection of lost nodes, with a ledger.
    public init(
        hub: ConnectionHub,
        runner: AgentRunner,
        store: any ChatStore,
        agents: [String: Agent],
        options: ChatOptions = ChatOptions(),
        clock: any Clock<Duration> = ContinuousClock(),
        ledger: (any ChatLedger)? = nil,
        clusterTiming: ChatClusterTiming = ChatClusterTiming(),
        logger: Logger = Logger(label: LogLabel.chat)
    ) {
        self.cluster = ledger.map { ChatClusterState(ledger: $0, timing: clusterTiming) }
        self.hub = hub
        // A room decides where a handoff lands (its own agents, ``agentForAnswer(_:in:)``):
        // the runner must not swap the target for the registered agent of that name.
        var runner = runner
        runner.agents = [:]
        self.runner = runner
        self.store = store
        self.agents = agents
        self.options = options
        self.stopwatch = Stopwatch(clock)
        self.logger = logger
        self.directory = Mutex(Directory())
        self.rateLimits = Mutex(RateLimits())
        self.writes = Mutex(WriteQueue())
        (work, workContinuation) = AsyncStream.makeStream()
        installHandlers()
    }

    /// Reads the stored rooms, each with its last `seq` and recent messages, so numbering and
    /// history continue where the last run stopped. Call it before clients connect.
    public func load() async throws {
        // In a cluster the ledger holds the rooms; nothing is cached here.
        guard cluster == nil else { return }
        for room in try await store.rooms() {
            let lastSeq = try await store.lastSeq(inRoom: room.name)
            let limit = cacheLimit(for: room)
            let recent = limit > 0 ? try await store.history(ofRoom: room.name, beforeSeq: nil, limit: limit) : []
            let loaded = ChatRoom(room: room, lastSeq: lastSeq, recent: recent, cacheLimit: limit)
            directory.withLock { directory in
                guard directory.rooms[room.name] == nil else { return }
                directory.rooms[room.name] = loaded
                directory.order.append(room.name)
            }
        }
    }

    /// Hosts the store writer, the agents' answers, history reads and typing expiry, until
    /// ``shutdown()`` (or until the calling task is cancelled, which shuts down the same way).
    ///
    /// Returns once every answer has ended and every posted message has been handed to the
    /// store. Call it once.
    public func run() async {
        await withDiscardingTaskGroup { outer in
            outer.addTask { await self.writeAll() }
            await withDiscardingTaskGroup { group in
                if options.enableTypingIndicators {
                    group.addTask { await self.expireTypingIndicators() }
                }
                if let cluster {
                    group.addTask { await self.deliverRoomEvents(cluster) }
                    group.addTask { await self.beatAndReap(cluster) }
                }
                for await item in work {
                    switch item {
                    case .answer(let room): group.addTask { await self.answerWaitingMessages(in: room) }
                    case .history(let read): group.addTask { await self.serve(read) }
                    case .requests(let id): group.addTask { await self.runRequests(of: id) }
                    case .clusterAnswer(let room): group.addTask { await self.answerClusterRoom(room) }
                    case .task(let body): group.addTask { await body() }
                    }
                }
                // Shut down: stop the answers (each posts its partial text), reads and expiry.
                shutdown()
                group.cancelAll()
            }
            // Rooms this node answered go to the other nodes.
            if let cluster { await leaveClusterForShutdown(cluster) }
            // Every answer has ended: write what is left, then stop the writer.
            writes.withLock { $0.stopRequested = true }
            writerWakeup.wake()
        }
    }

    /// Refuses new rooms, members and answers, and stops every answer in progress;
    /// ``run()`` returns once the messages posted so far are written.
    public func shutdown() {
        let rooms = directory.withLock { directory -> [ChatRoom] in
            directory.isShutDown = true
            return Array(directory.rooms.values)
        }
        stopAnswers(in: rooms)
        workContinuation.finish()
    }

    /// The rooms' settings, in creation order.
    public var rooms: [Room] {
        if let cluster { return cluster.figures.withLock { $0.map(\.room) } }
        return allRooms().map { room in room.state.withLock { $0.room } }
    }

    /// Current figures, read from the cluster first when this service is a node of one
    /// (``stats`` gives the figures as last read); `GET /stats` uses this.
    public func currentStats() async -> ChatStats {
        if let cluster { await refreshFigures(cluster) }
        return stats
    }

    /// Current figures (the `chat_stats` message sends the same).
    public var stats: ChatStats {
        if let cluster { return clusterStats(cluster) }
        var sessions = 0
        var streams = 0
        var total = 0
        var rooms: [ChatStats.RoomStats] = []
        for room in allRooms() {
            room.state.withLock { state in
                sessions += state.members.count
                if state.live != nil { streams += 1 }
                total += state.lastSeq
                rooms.append(ChatStats.RoomStats(name: state.room.name, participants: state.members.count, messages: state.lastSeq))
            }
        }
        let (pending, failed) = writes.withLock { ($0.operations.count, $0.failures) }
        return ChatStats(
            connectedClients: hub.connections.count,
            activeSessions: sessions,
            activeStreams: streams,
            availableAgents: agents.keys.sorted(),
            totalMessages: total,
            rooms: rooms,
            pendingWrites: pending,
            failedWrites: failed
        )
    }

    // MARK: Shared helpers

    func allRooms() -> [ChatRoom] {
        directory.withLock { directory in directory.order.compactMap { directory.rooms[$0] } }
    }

    /// The room `name`, or `not_found`.
    func room(named name: String) throws(ProtocolFailure) -> ChatRoom {
        guard let room = directory.withLock({ $0.rooms[name] }) else {
            throw ProtocolFailure(.notFound, "no room \"\(name)\"")
        }
        return room
    }

    /// How many recent messages the service keeps in memory for a room: what a joiner gets,
    /// and at least what the agent reads.
    func cacheLimit(for room: Room) -> Int {
        max(options.agentContextMessages, min(room.messageHistory, options.historyPageLimit))
    }

    /// `connection`'s membership of a room, or `forbidden`.
    static func member(_ connection: Connection, of state: ChatRoom.State) throws(ProtocolFailure) -> ChatRoom.Member {
        guard !state.isDeleted else {
            throw ProtocolFailure(.notFound, "no room \"\(state.room.name)\"")
        }
        guard let member = state.members[connection.id] else {
            throw ProtocolFailure(.forbidden, "join room \"\(state.room.name)\" first")
        }
        return member
    }
}
