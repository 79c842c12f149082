/// Settings of chat rooms (`config.chat` in the Ruby gem).
public struct ChatSettings: Sendable, Equatable {
    /// The most rooms open at once; setting `chat.max_rooms`. Default 100.
    public var maxRooms: Int
    /// The most participants in one room; setting `chat.max_participants_per_room`. Default 50.
    public var maxParticipantsPerRoom: Int
    /// How many recent messages a room keeps for new participants; setting
    /// `chat.message_history_size`. Default 500.
    public var messageHistorySize: Int
    /// Whether typing indicators are relayed; setting `chat.enable_typing_indicators`. Default `true`.
    public var enableTypingIndicators: Bool

    /// Creates chat settings; every parameter defaults to the gem's default.
    public init(
        maxRooms: Int = 100,
        maxParticipantsPerRoom: Int = 50,
        messageHistorySize: Int = 500,
        enableTypingIndicators: Bool = true
    ) {
        self.maxRooms = maxRooms
        self.maxParticipantsPerRoom = maxParticipantsPerRoom
        self.messageHistorySize = messageHistorySize
        self.enableTypingIndicators = enableTypingIndicators
    }
}
