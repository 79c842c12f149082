import Logging

/// How the framework logs: the lowest level written and the line format.
public struct LoggingSettings: Sendable, Equatable {
    /// The lowest level written; `RAAF_LOG_LEVEL`, setting `logging.level`. Default `.info`.
    public var level: Logger.Level
    /// The line format; `RAAF_LOG_FORMAT`, setting `logging.format`. Default `.text`.
    public var format: LogFormat

    /// Creates logging settings.
    public init(level: Logger.Level = .info, format: LogFormat = .text) {
        self.level = level
        self.format = format
    }
}
