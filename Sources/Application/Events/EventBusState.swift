import DequeModule
import StreamingDomain

/// Everything an ``EventBus`` guards with its one lock.
struct EventBusState {
    var registry: ListenerRegistry
    var history: Deque<BusEvent> = []
    let historyLimit: Int
    var sequence: UInt64 = 0
    var delivered: UInt64 = 0
    var listenerErrors: UInt64 = 0
    /// Handlers of ``EventBus/onListenerError(_:)``, in registration order.
    var errorHandlers: [(id: ListenerID, handler: @Sendable (ListenerFailure) -> Void)] = []

    init(options: EventBusOptions) {
        registry = ListenerRegistry(options: options)
        historyLimit = max(0, options.historySize)
    }

    /// Keeps `event` in the bounded history, dropping the oldest when full.
    mutating func remember(_ event: BusEvent) {
        guard historyLimit > 0 else { return }
        if history.count >= historyLimit { history.removeFirst() }
        history.append(event)
    }

    var stats: EventBusStats {
        EventBusStats(
            listeners: registry.count,
            topics: registry.patternCount,
            // Every emit takes exactly one sequence number.
            emitted: sequence,
            delivered: delivered,
            listenerErrors: listenerErrors,
            historyCount: history.count
        )
    }
}
