import StreamingDomain

/// The closure a listener runs for each event.
typealias EventHandler = @Sendable (BusEvent) throws -> Void

/// One registered listener, as the bus stores and delivers to it.
struct Listener: Sendable {
    let id: ListenerID
    /// Removed by the bus, under its lock, when the first event is handed to it.
    let isOnce: Bool
    let handler: EventHandler
}

/// A listener whose topic is a wildcard pattern.
struct WildcardListener: Sendable {
    let listener: Listener
    let pattern: TopicPattern
    /// The listener alone in an array, built once at registration: when it is the only
    /// match for an event, the bus hands out this array instead of allocating a new one.
    let alone: [Listener]

    init(_ listener: Listener, pattern: TopicPattern) {
        self.listener = listener
        self.pattern = pattern
        self.alone = [listener]
    }
}
