/// A snapshot of an ``EventBus``'s counters, taken at one instant.
public struct EventBusStats: Sendable, Equatable {
    /// Listeners registered now, through the bus or its views (error handlers not included).
    public var listeners: Int
    /// Distinct topic patterns with at least one listener now.
    public var topics: Int
    /// Events emitted since the bus was created, whether anyone listened or not.
    public var emitted: UInt64
    /// Handler invocations since the bus was created. A view's listener counts even when
    /// the view's filter then drops the event.
    public var delivered: UInt64
    /// Handler invocations that threw.
    public var listenerErrors: UInt64
    /// Events held in the history now.
    public var historyCount: Int

    /// Creates a snapshot; the bus fills one in for ``EventBus/stats``.
    public init(
        listeners: Int = 0,
        topics: Int = 0,
        emitted: UInt64 = 0,
        delivered: UInt64 = 0,
        listenerErrors: UInt64 = 0,
        historyCount: Int = 0
    ) {
        self.listeners = listeners
        self.topics = topics
        self.emitted = emitted
        self.delivered = delivered
        self.listenerErrors = listenerErrors
        self.historyCount = historyCount
    }
}
