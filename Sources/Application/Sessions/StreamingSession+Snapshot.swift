#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StreamingDomain

extension StreamingSession {
    /// The session as data: its agent's name, history, history limit and turn count.
    /// A turn in flight is not part of it.
    public func export() -> SessionSnapshot {
        let current = checkpoint()
        return SessionSnapshot(
            agentName: current.agent.name,
            history: current.history,
            historyLimit: historyLimit,
            turnCount: current.turnCount
        )
    }

    /// ``export()`` as JSON text, with sorted keys so the same session always gives the same text.
    public func exportJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(export()), as: UTF8.self)
        } catch {
            throw StreamingError.invalidInput("the session could not be written as JSON: \(error)")
        }
    }

    /// A session that continues the one `snapshot` was taken from.
    ///
    /// Its agent is the one named in the snapshot, looked up among `agents` and, through
    /// their handoffs, every agent they can reach (so a conversation handed to a support
    /// agent comes back to it). The history is trimmed to the snapshot's limit.
    ///
    /// - Throws: ``StreamingError/notFound(_:)`` when no agent has that name;
    ///   ``StreamingError/invalidInput(_:)`` for a version other than
    ///   ``SessionSnapshot/currentVersion`` or a negative limit or turn count.
    public static func restored(from snapshot: SessionSnapshot, runner: AgentRunner, agents: [Agent]) throws
        -> StreamingSession
    {
        guard snapshot.version == SessionSnapshot.currentVersion else {
            throw StreamingError.invalidInput(
                "session snapshot version \(snapshot.version) is not supported (expected \(SessionSnapshot.currentVersion))"
            )
        }
        if let limit = snapshot.historyLimit, limit < 0 {
            throw StreamingError.invalidInput("session snapshot history_limit \(limit) is negative")
        }
        guard snapshot.turnCount >= 0 else {
            throw StreamingError.invalidInput("session snapshot turn_count \(snapshot.turnCount) is negative")
        }
        guard let agent = Agent.find(named: snapshot.agentName, in: agents) else {
            throw StreamingError.notFound("agent \"\(snapshot.agentName)\" (the session snapshot's agent)")
        }
        return StreamingSession(
            runner: runner,
            agent: agent,
            history: snapshot.history,
            historyLimit: snapshot.historyLimit,
            turnCount: snapshot.turnCount
        )
    }

    /// A session restored from the JSON text of ``exportJSON()``; see ``restored(from:runner:agents:)``.
    ///
    /// - Throws: ``StreamingError/invalidInput(_:)`` when the text is not a session snapshot,
    ///   or not of a supported version; ``StreamingError/notFound(_:)`` for an unknown agent.
    public static func restored(fromJSON json: String, runner: AgentRunner, agents: [Agent]) throws
        -> StreamingSession
    {
        try restored(from: SessionSnapshot.decode(json: json), runner: runner, agents: agents)
    }
}

extension SessionSnapshot {
    /// Reads a snapshot from JSON; every failure is a ``StreamingError/invalidInput(_:)``.
    ///
    /// The version is read first, so a snapshot of another version is reported as such
    /// rather than as whatever field its format does not share with this one.
    static func decode(json: String) throws -> SessionSnapshot {
        struct Version: Decodable {
            var version: Int
        }
        let data = Data(json.utf8)
        let decoder = JSONDecoder()
        let version: Int
        do {
            version = try decoder.decode(Version.self, from: data).version
        } catch {
            throw StreamingError.invalidInput("not a session snapshot: \(Self.describe(error))")
        }
        guard version == currentVersion else {
            throw StreamingError.invalidInput(
                "session snapshot version \(version) is not supported (expected \(currentVersion))"
            )
        }
        do {
            return try decoder.decode(SessionSnapshot.self, from: data)
        } catch {
            throw StreamingError.invalidInput("invalid session snapshot: \(Self.describe(error))")
        }
    }

    /// A short reading of a decoding error: what was wrong, and where.
    private static func describe(_ error: any Error) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.isEmpty ? "the top level" : codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
                .joined(separator: ".")
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing \(key.stringValue) at \(path(context.codingPath))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\(context.debugDescription) at \(path(context.codingPath))"
        case DecodingError.dataCorrupted(let context):
            return "\(context.debugDescription) at \(path(context.codingPath))"
        default:
            return "\(error)"
        }
    }
}

extension Agent {
    /// The agent named `name` among `agents` or the agents they can hand off to, nearest first.
    static func find(named name: String, in agents: [Agent]) -> Agent? {
        var queue = agents[...]
        var visited: Set<String> = []
        while let agent = queue.popFirst() {
            if agent.name == name { return agent }
            // Agents are values, so handoffs cannot loop, but they can be deep and shared.
            if visited.insert(agent.name).inserted {
                queue.append(contentsOf: agent.handoffs)
            }
        }
        return nil
    }
}
