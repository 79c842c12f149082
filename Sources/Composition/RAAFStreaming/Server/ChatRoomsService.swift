import Logging
import ServiceLifecycle
import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingRedis
import StreamingSQLite

/// Runs a ``ChatService`` as a swift-service-lifecycle service: it loads the stored rooms,
/// then runs answers, the store writer and typing expiry until a graceful shutdown, which
/// stops the answers in progress and writes every posted message before it returns.
///
/// Place it after the hub's service in a `ServiceGroup`: services shut down in reverse
/// order, so members still receive the stopped answers before the hub closes them.
public struct ChatRoomsService: Service {
    public let chat: ChatService

    public init(chat: ChatService) { self.chat = chat }

    public func run() async throws {
        try await chat.load()
        await withGracefulShutdownHandler {
            await chat.run()
        } onGracefulShutdown: {
            chat.shutdown()
        }
        // A direct `chat.shutdown()` ends `run()` early; wait for the group's shutdown, so
        // the group does not end because one service did.
        try? await gracefulShutdown()
    }
}

extension RealtimeServer {
    /// The store of a server's chat rooms: `given`, else the one of `chat.store`. A node of a
    /// cluster decides rooms in the cluster's Redis and reads their history from its store, so
    /// there it must be the Redis store of `REDIS_URL`: memory or SQLite would answer
    /// `get_history` with what this node never wrote (nothing).
    ///
    /// - Throws: ``StreamingError/configuration(variable:reason:)`` for a cluster node given
    ///   another store (`CHAT_STORE=memory` or `sqlite:PATH`, or one passed in code).
    static func chatStore(_ given: (any ChatStore)?, of system: StreamingSystem, clustered: Bool) throws -> any ChatStore {
        guard clustered else { return try given ?? system.makeChatStore() }
        guard given == nil, system.configuration.chatStoreLocation == .redis else {
            throw StreamingError.configuration(
                variable: "chat.store",
                reason: "a node of a cluster (REDIS_URL is set) keeps chat rooms and their history in the cluster's Redis: "
                    + "leave CHAT_STORE unset (or redis) and pass no chat store")
        }
        return try system.makeChatStore()
    }
}

extension StreamingSystem {
    /// The chat store of ``StreamingConfiguration/chatStoreLocation``: in memory, a SQLite
    /// file, or the Redis server of `REDIS_URL` (with `REDIS_POOL_SIZE` connections of its
    /// own, opened on first use).
    ///
    /// - Throws: ``StreamingError/connection(_:)`` when the SQLite file cannot be opened,
    ///   ``StreamingError/configuration(variable:reason:)`` for `redis` without a (well-formed)
    ///   `REDIS_URL`.
    public func makeChatStore() throws -> any ChatStore {
        switch configuration.chatStoreLocation {
        case .memory:
            return InMemoryChatStore()
        case .sqlite(let path):
            return try SQLiteChatStore(path: path)
        case .redis:
            guard let url = configuration.background.redisURL else {
                throw StreamingError.configuration(
                    variable: "chat.store", reason: "redis needs REDIS_URL (background.redis_url)")
            }
            return try RedisChatStore(
                configuration: RedisConfiguration(url: url), connections: configuration.background.redisPoolSize)
        }
    }

    /// A chat service on `hub` with this system's runner, agents and `chat.*` settings.
    ///
    /// With a `ledger` (``ClusterNode/chatLedger``), the service is one node of a cluster.
    public func chatService(hub: ConnectionHub, store: any ChatStore, ledger: (any ChatLedger)? = nil) -> ChatService {
        let chat = configuration.chat
        return ChatService(
            hub: hub,
            runner: runner,
            store: store,
            agents: agents,
            options: ChatOptions(
                maxRooms: chat.maxRooms,
                defaultMaxParticipants: chat.maxParticipantsPerRoom,
                participantLimit: chat.maxParticipantsPerRoom,
                defaultMessageHistory: chat.messageHistorySize,
                messageHistoryLimit: max(10_000, chat.messageHistorySize),
                enableTypingIndicators: chat.enableTypingIndicators,
                typingTimeout: chat.typingTimeout,
                maxMessageLength: chat.maxMessageLength,
                messagesPerMinute: chat.rateLimit,
                defaultAgent: chat.defaultAgent
            ),
            ledger: ledger,
            logger: logger(LogLabel.chat)
        )
    }
}
