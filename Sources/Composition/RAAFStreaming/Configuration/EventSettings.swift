/// Settings of the event bus (`config.events` in the Ruby gem).
public struct EventSettings: Sendable, Equatable {
    /// The most listeners one topic may have; setting `events.max_listeners`. Default 100.
    public var maxListeners: Int
    /// Whether wildcard topics such as `user.*` match; setting `events.enable_wildcards`. Default `true`.
    public var enableWildcards: Bool
    /// How many past events the bus keeps; setting `events.history_size`. Default 1000.
    public var historySize: Int

    /// Creates event settings; every parameter defaults to the gem's default.
    public init(maxListeners: Int = 100, enableWildcards: Bool = true, historySize: Int = 1000) {
        self.maxListeners = maxListeners
        self.enableWildcards = enableWildcards
        self.historySize = historySize
    }
}
