/// Limits and defaults of a ``ChatService``: the Ruby gem's `config.chat`, and the bounds that
/// keep one busy room from holding unbounded memory.
public struct ChatOptions: Sendable, Hashable {
    /// The most rooms at once (`config.chat.max_rooms`); one more `create_room` is `room_limit`.
    public var maxRooms: Int
    /// A room's `max_participants` when `create_room` names none.
    public var defaultMaxParticipants: Int
    /// The largest `max_participants` a room may ask for.
    public var participantLimit: Int
    /// A room's `message_history` when `create_room` names none.
    public var defaultMessageHistory: Int
    /// The largest `message_history` a room may ask for.
    public var messageHistoryLimit: Int
    /// Whether members may send `typing_start` and `typing_stop` (else they are `unknown_type`).
    public var enableTypingIndicators: Bool
    /// How long a member shows as typing after a `typing_start` without a `typing_stop`.
    public var typingTimeout: Duration
    /// The longest `chat_message` content, in characters; a longer one is `too_large`.
    public var maxMessageLength: Int
    /// `chat_message`s each user (identity, or display name without authentication) may send
    /// per minute, over all their connections; more are `rate_limited`.
    public var messagesPerMinute: Int
    /// The most messages one `get_history` page holds (and the most a joiner receives).
    public var historyPageLimit: Int
    /// The most bytes of message content one `history` page or `room_joined` carries (at least
    /// one message): it keeps those frames within a transport's outbound buffer (the WebSocket
    /// server drops a frame larger than its 256 KiB buffer). A shorter page says `has_more`.
    public var maxHistoryBytes: Int
    /// How many of a room's recent messages the agent sees when it answers.
    public var agentContextMessages: Int
    /// Messages a room's agent may have waiting for an answer besides the one it is answering;
    /// beyond it a message is still posted, but its sender hears (`server_busy`) that it will
    /// not be answered.
    public var maxPendingAnswers: Int
    /// User messages posted but not yet written to the store; beyond it `chat_message` is
    /// refused with `server_busy` rather than kept in memory without bound.
    public var maxPendingWrites: Int
    /// `get_history` reads of the store running at once; more are `server_busy`.
    public var maxConcurrentHistoryReads: Int
    /// The agent a room gets when `create_room` names none; `nil` leaves such rooms to people.
    public var defaultAgent: String?

    public init(
        maxRooms: Int = 100,
        defaultMaxParticipants: Int = 50,
        participantLimit: Int = 1_000,
        defaultMessageHistory: Int = 500,
        messageHistoryLimit: Int = 10_000,
        enableTypingIndicators: Bool = true,
        typingTimeout: Duration = .seconds(5),
        maxMessageLength: Int = 4_000,
        messagesPerMinute: Int = 30,
        historyPageLimit: Int = 200,
        maxHistoryBytes: Int = 128 * 1024,
        agentContextMessages: Int = 20,
        maxPendingAnswers: Int = 16,
        maxPendingWrites: Int = 10_000,
        maxConcurrentHistoryReads: Int = 32,
        defaultAgent: String? = nil
    ) {
        self.maxRooms = maxRooms
        self.defaultMaxParticipants = defaultMaxParticipants
        self.participantLimit = participantLimit
        self.defaultMessageHistory = defaultMessageHistory
        self.messageHistoryLimit = messageHistoryLimit
        self.enableTypingIndicators = enableTypingIndicators
        self.typingTimeout = typingTimeout
        self.maxMessageLength = maxMessageLength
        self.messagesPerMinute = messagesPerMinute
        self.historyPageLimit = historyPageLimit
        self.maxHistoryBytes = maxHistoryBytes
        self.agentContextMessages = agentContextMessages
        self.maxPendingAnswers = maxPendingAnswers
        self.maxPendingWrites = maxPendingWrites
        self.maxConcurrentHistoryReads = maxConcurrentHistoryReads
        self.defaultAgent = defaultAgent
    }
}
