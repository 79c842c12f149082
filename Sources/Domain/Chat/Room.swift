import FoundationEssentials

/// A chat room's settings, as a member created it with `create_room`.
///
/// Rooms are stored by a ``ChatStore`` (when it is durable, they survive a restart).
public struct Room: Sendable, Hashable, Codable {
    /// The room's name: its id on the wire.
    public var name: String
    /// The most members at once; a join beyond it is refused with `room_full`.
    public var maxParticipants: Int
    /// How many recent messages the room keeps for members who join later.
    public var messageHistory: Int
    /// Whether only ``allowed`` identities may join (a join by anyone else is `forbidden`).
    public var restricted: Bool
    /// The identities (or display names, when authentication is off) that may join a
    /// restricted room.
    public var allowed: Set<String>
    /// The name of the agent that answers members' messages now; `nil` for a room of people only.
    public var agent: String?
    /// The specialist agents registered with `add_agent`: the current agent may hand the
    /// conversation to any of them, and members may ask for one with `handoff_request`.
    public var specialists: [String]
    /// The identity that created the room.
    public var createdBy: String
    public var createdAt: Date

    public init(
        name: String,
        maxParticipants: Int,
        messageHistory: Int,
        restricted: Bool = false,
        allowed: Set<String> = [],
        agent: String? = nil,
        specialists: [String] = [],
        createdBy: String,
        createdAt: Date
    ) {
        self.name = name
        self.maxParticipants = maxParticipants
        self.messageHistory = messageHistory
        self.restricted = restricted
        self.allowed = allowed
        self.agent = agent
        self.specialists = specialists
        self.createdBy = createdBy
        self.createdAt = createdAt
    }

    /// Whether `identity` may join.
    public func admits(_ identity: String) -> Bool {
        !restricted || allowed.contains(identity) || identity == createdBy
    }
}
