/// The format of log lines: `RAAF_LOG_FORMAT`, setting `logging.format`.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `2026-11-21T10:00:00.123Z info raaf.events: message key=value`, for people (``TextLogHandler``).
    case text
    /// One JSON object per line, for log collectors (``JSONLogHandler``).
    case json
}

extension LogFormat: CustomStringConvertible {
    /// The format's name: `text` or `json`.
    public var description: String { rawValue }
}
