/// Figures of a ``ChatService``: the Ruby gem's `chat.stats`, and the store writer's state.
public struct ChatStats: Sendable, Hashable {
    /// One room's figures.
    public struct RoomStats: Sendable, Hashable {
        public var name: String
        /// Connections in the room now.
        public var participants: Int
        /// Messages said in the room so far (its last `seq`, restarts included with a durable store).
        public var messages: Int

        public init(name: String, participants: Int, messages: Int) {
            self.name = name
            self.participants = participants
            self.messages = messages
        }
    }

    /// Connections open on the hub, in rooms or not.
    public var connectedClients: Int
    /// Room memberships: a connection in two rooms counts twice.
    public var activeSessions: Int
    /// Agent answers streaming now (at most one per room).
    public var activeStreams: Int
    /// The names of the agents rooms may use, sorted.
    public var availableAgents: [String]
    /// Messages over every room.
    public var totalMessages: Int
    /// Every room, in creation order.
    public var rooms: [RoomStats]
    /// In a cluster, this node's name: `connectedClients`, `pendingWrites` and `failedWrites`
    /// are this node's, the rest the whole cluster's. `nil` for rooms in one process.
    public var node: String? = nil
    /// The figures that are a node's own in a cluster (wire names).
    public static let perNodeFields = ["connected_clients", "pending_writes", "failed_writes"]
    /// Messages and room changes posted but not yet written to the store.
    public var pendingWrites: Int
    /// Store writes that failed (and were retried) since the service started.
    public var failedWrites: Int

    public init(
        connectedClients: Int,
        activeSessions: Int,
        activeStreams: Int,
        availableAgents: [String],
        totalMessages: Int,
        rooms: [RoomStats],
        pendingWrites: Int,
        failedWrites: Int
    ) {
        self.connectedClients = connectedClients
        self.activeSessions = activeSessions
        self.activeStreams = activeStreams
        self.availableAgents = availableAgents
        self.totalMessages = totalMessages
        self.rooms = rooms
        self.pendingWrites = pendingWrites
        self.failedWrites = failedWrites
    }
}
