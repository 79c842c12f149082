import Logging
import ServiceLifecycle
import StreamingApplication
import StreamingDomain
import StreamingMemory
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

extension StreamingSystem {
    /// The chat store of `chat.store`: in memory, or a SQLite file.
    ///
    /// - Throws: ``StreamingError/connection(_:)`` when the SQLite file cannot be opened.
    public func makeChatStore() throws -> any ChatStore {
        switch configuration.chat.store {
        case .memory: InMemoryChatStore()
        case .sqlite(let path): try SQLiteChatStore(path: path)
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
