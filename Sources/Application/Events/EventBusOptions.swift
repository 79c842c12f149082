/// How an ``EventBus`` behaves.
public struct EventBusOptions: Sendable, Equatable {
    /// The most listeners one topic pattern may have (`user.*` and `user.login` count apart).
    /// Zero or less means no limit.
    public var maxListeners: Int
    /// Whether `*` in a listener's topic is a wildcard; when `false` it is a literal character.
    public var enableWildcards: Bool
    /// How many recent events the bus keeps for ``EventBus/history(topic:)``; 0 keeps none.
    public var historySize: Int

    /// The defaults: 100 listeners per pattern, wildcards on, the last 1000 events kept.
    public init(maxListeners: Int = 100, enableWildcards: Bool = true, historySize: Int = 1000) {
        self.maxListeners = maxListeners
        self.enableWildcards = enableWildcards
        self.historySize = historySize
    }
}
