/// Settings of chat rooms (`config.chat` in the Ruby gem).
public struct ChatSettings: Sendable, Equatable {
    /// The most rooms open at once; `CHAT_MAX_ROOMS`, setting `chat.max_rooms`. Default 100.
    public var maxRooms: Int
    /// The most participants in one room; setting `chat.max_participants_per_room`. Default 50.
    public var maxParticipantsPerRoom: Int
    /// How many recent messages a room keeps for new participants; setting
    /// `chat.message_history_size`. Default 500.
    public var messageHistorySize: Int
    /// Whether typing indicators are relayed; setting `chat.enable_typing_indicators`. Default `true`.
    public var enableTypingIndicators: Bool
    /// The longest chat message, in characters; `CHAT_MAX_MESSAGE_LENGTH`, setting
    /// `chat.max_message_length`. Default 2000.
    public var maxMessageLength: Int
    /// Chat messages each user may send per minute; `CHAT_RATE_LIMIT`, setting
    /// `chat.rate_limit`. Default 60.
    public var rateLimit: Int
    /// How long a member shows as typing without a `typing_stop`; setting `chat.typing_timeout`. Default 5 s.
    public var typingTimeout: Duration
    /// The agent that answers in a room created without one; setting `chat.default_agent`.
    /// Default `assistant`; `nil` leaves such rooms to people.
    public var defaultAgent: String?
    /// Where rooms and their history are kept; `CHAT_STORE` (`memory`, `sqlite:PATH` or
    /// `redis`), setting `chat.store`. `nil` (the default) chooses by `REDIS_URL`: the
    /// Redis server of ``BackgroundSettings/redisURL`` when it is set, so every node of a
    /// cluster shares rooms and history, else the SQLite file ``defaultSQLitePath``, so
    /// history survives a restart. ``StreamingConfiguration/chatStoreLocation`` is the choice made.
    public var store: ChatStoreLocation?

    /// The SQLite file of rooms when `store` is `nil` and no Redis is configured.
    public static let defaultSQLitePath = "raaf-chat.sqlite"

    /// Creates chat settings; every parameter defaults to the gem's default.
    public init(
        maxRooms: Int = 100,
        maxParticipantsPerRoom: Int = 50,
        messageHistorySize: Int = 500,
        enableTypingIndicators: Bool = true,
        maxMessageLength: Int = 2000,
        rateLimit: Int = 60,
        typingTimeout: Duration = .seconds(5),
        defaultAgent: String? = "assistant",
        store: ChatStoreLocation? = nil
    ) {
        self.maxRooms = maxRooms
        self.maxParticipantsPerRoom = maxParticipantsPerRoom
        self.messageHistorySize = messageHistorySize
        self.enableTypingIndicators = enableTypingIndicators
        self.maxMessageLength = maxMessageLength
        self.rateLimit = rateLimit
        self.typingTimeout = typingTimeout
        self.defaultAgent = defaultAgent
        self.store = store
    }
}

/// Where a chat store lives: `memory`, `sqlite:PATH` or `redis`.
public enum ChatStoreLocation: Sendable, Hashable, CustomStringConvertible {
    /// In this process: each room keeps its last `message_history` messages, gone at exit.
    case memory
    /// A SQLite file (created when missing): every message, across restarts.
    case sqlite(path: String)
    /// The Redis server of `REDIS_URL` (``BackgroundSettings/redisURL``), shared by every
    /// node: each room keeps its last `message_history` messages there, across restarts of
    /// the nodes (`RedisChatStore`).
    case redis

    /// What ``init(parsing:)`` accepts, for error messages.
    public static let expectation = "memory, sqlite:PATH or redis (the server of REDIS_URL)"

    /// Reads `memory`, `sqlite:PATH` (the job queue's spelling) or `redis`; `nil` for
    /// anything else, a `redis://` URL included (the chat store uses `REDIS_URL`'s server).
    public init?(parsing text: String) {
        if text == "redis" {
            self = .redis
            return
        }
        switch try? JobQueueLocation(parsing: text) {
        case .memory: self = .memory
        case .sqlite(let path): self = .sqlite(path: path)
        case .redis, nil: return nil
        }
    }

    public var description: String {
        switch self {
        case .memory: "memory"
        case .sqlite(let path): "sqlite:\(path)"
        case .redis: "redis"
        }
    }
}

extension StreamingConfiguration {
    /// Where chat rooms are kept: ``ChatSettings/store`` when set, else `redis` when
    /// `REDIS_URL` (``BackgroundSettings/redisURL``) is set, else the SQLite file
    /// ``ChatSettings/defaultSQLitePath``.
    public var chatStoreLocation: ChatStoreLocation {
        if let store = chat.store { return store }
        return background.redisURL == nil ? .sqlite(path: ChatSettings.defaultSQLitePath) : .redis
    }
}
