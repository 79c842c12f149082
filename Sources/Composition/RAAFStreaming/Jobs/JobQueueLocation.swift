import StreamingDomain

/// Where a job queue lives, as `--queue` and the configuration name it: `memory`,
/// `sqlite:PATH`, or a `redis://` URL.
public enum JobQueueLocation: Sendable, Hashable, CustomStringConvertible {
    /// In this process only; gone when it ends.
    case memory
    /// A SQLite file (created when missing).
    case sqlite(path: String)
    /// A Redis server: `redis://[:password@]host:port[/db]`.
    case redis(url: String)

    /// Reads `memory`, `sqlite:PATH` or `redis://…`.
    ///
    /// - Throws: ``StreamingError/invalidInput(_:)`` for anything else.
    public init(parsing text: String) throws {
        if text == "memory" {
            self = .memory
        } else if text.hasPrefix("sqlite:"), text.count > "sqlite:".count {
            self = .sqlite(path: String(text.dropFirst("sqlite:".count)))
        } else if text.hasPrefix("redis://") || text.hasPrefix("rediss://") {
            self = .redis(url: text)
        } else {
            throw StreamingError.invalidInput(
                "a queue is memory, sqlite:PATH or redis://[:password@]host:port[/db]; got \(URLCredentials.masked(text))"
            )
        }
    }

    /// The location, with any Redis password masked.
    public var description: String {
        switch self {
        case .memory: "memory"
        case .sqlite(let path): "sqlite:\(path)"
        case .redis(let url): URLCredentials.masked(url)
        }
    }
}
