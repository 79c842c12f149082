import StreamingDomain

/// A ``StreamingSession`` as data, to store and restore later, in this process or another.
///
/// Tools are closures and cannot be stored, so a snapshot names its agent: restoring it
/// with ``StreamingSession/restored(from:runner:agents:)`` finds the agent by that name.
/// Its JSON form (``StreamingSession/exportJSON()``) looks like this:
/// ```json
/// {"agent_name":"assistant","history":[{"content":"Hi","role":"user"},
///  {"content":"Hello!","role":"assistant"}],"history_limit":20,"turn_count":1,"version":1}
/// ```
/// Messages use the Chat Completions shape (`role`, `content`, `tool_calls`, `tool_call_id`);
/// `history_limit` is left out when the session has none.
public struct SessionSnapshot: Codable, Sendable, Hashable {
    /// The snapshot format this version of the framework writes and reads.
    public static let currentVersion = 1

    /// The format version; restoring a snapshot of another version throws
    /// ``StreamingError/invalidInput(_:)``.
    public var version: Int
    /// The name of the agent that answers the next message.
    public var agentName: String
    /// The conversation: user, assistant and tool messages, oldest first.
    public var history: [ChatMessage]
    /// The most messages the session keeps, or `nil` for no limit.
    public var historyLimit: Int?
    /// How many turns the session had completed.
    public var turnCount: Int

    public init(
        version: Int = SessionSnapshot.currentVersion,
        agentName: String,
        history: [ChatMessage],
        historyLimit: Int? = nil,
        turnCount: Int = 0
    ) {
        self.version = version
        self.agentName = agentName
        self.history = history
        self.historyLimit = historyLimit
        self.turnCount = turnCount
    }

    enum CodingKeys: String, CodingKey {
        case version
        case agentName = "agent_name"
        case history
        case historyLimit = "history_limit"
        case turnCount = "turn_count"
    }

    /// Reads a snapshot; `history_limit` and `turn_count` may be left out (no limit, no turns).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        agentName = try container.decode(String.self, forKey: .agentName)
        history = try container.decode([ChatMessage].self, forKey: .history)
        historyLimit = try container.decodeIfPresent(Int.self, forKey: .historyLimit)
        turnCount = try container.decodeIfPresent(Int.self, forKey: .turnCount) ?? 0
    }
}
