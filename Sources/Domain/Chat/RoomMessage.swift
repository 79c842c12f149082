import FoundationEssentials

/// One message said in a room: by a member, by an agent, or by the room itself.
///
/// `seq` numbers a room's messages from 1 without gaps; history pages by it.
public struct RoomMessage: Sendable, Hashable, Codable {
    /// Who said it.
    public enum Sender: String, Sendable, Hashable, Codable {
        /// A member (a person or a program connected to the room).
        case user
        /// The room's agent; its complete answer, after the stream.
        case agent
        /// The room itself: joins, leaves, handoffs.
        case system
    }

    public var room: String
    public var seq: Int
    public var sender: Sender
    /// The member's display name or identity, the agent's name, or `system`.
    public var author: String
    public var content: String
    public var sentAt: Date

    public init(room: String, seq: Int, sender: Sender, author: String, content: String, sentAt: Date) {
        self.room = room
        self.seq = seq
        self.sender = sender
        self.author = author
        self.content = content
        self.sentAt = sentAt
    }
}
