/// A filtered or transformed view of an ``EventBus``, made by ``EventBus/filter(_:)`` and
/// ``EventBus/map(_:)`` and chainable in the same way.
///
/// ```swift
/// let urgent = bus.filter { $0.data?["priority"] == "high" }
/// try urgent.on("ticket.*") { event in page(event) }
/// ```
///
/// Listeners registered through a view are ordinary listeners of the bus: they count against
/// its limits and statistics, and ``EventBus/off(_:)`` removes them. They only see events
/// that pass every filter of the view, transformed by its maps, in the order they were chained.
public struct EventBusView: Sendable {
    /// The bus the view reads from.
    public let bus: EventBus
    /// The chained filters and maps; `nil` drops the event.
    private let stage: @Sendable (BusEvent) -> BusEvent?

    init(bus: EventBus, stage: @escaping @Sendable (BusEvent) -> BusEvent? = { $0 }) {
        self.bus = bus
        self.stage = stage
    }

    /// A view that also drops events for which `isIncluded` is `false`.
    public func filter(_ isIncluded: @escaping @Sendable (BusEvent) -> Bool) -> EventBusView {
        let previous = stage
        return EventBusView(bus: bus) { event in
            guard let event = previous(event), isIncluded(event) else { return nil }
            return event
        }
    }

    /// A view that also passes events through `transform`.
    public func map(_ transform: @escaping @Sendable (BusEvent) -> BusEvent) -> EventBusView {
        let previous = stage
        return EventBusView(bus: bus) { event in previous(event).map(transform) }
    }

    /// Calls `handler` with every event on `topic` that passes the view, transformed by it.
    ///
    /// - Throws: `StreamingError.listenerLimitExceeded(topic:limit:)` as
    ///   ``EventBus/on(_:_:)``.
    @discardableResult
    public func on(_ topic: String, _ handler: @escaping @Sendable (BusEvent) throws -> Void) throws -> ListenerID {
        let stage = stage
        return try bus.register(topic, once: false) { _ in
            { event in
                if let event = stage(event) { try handler(event) }
            }
        }
    }

    /// Calls `handler` with the first event on `topic` that passes the view, then removes it.
    /// Events the view drops do not use up the listener.
    ///
    /// - Throws: `StreamingError.listenerLimitExceeded(topic:limit:)` as
    ///   ``EventBus/on(_:_:)``.
    @discardableResult
    public func once(_ topic: String, _ handler: @escaping @Sendable (BusEvent) throws -> Void) throws
        -> ListenerID
    {
        let stage = stage
        // The bus's own `once` would fire on the first event of the topic, even one the view
        // drops; so this is a plain listener that claims a flag and removes itself.
        let fired = OnceFlag()
        // Weak: the bus stores this closure, so a strong capture would keep the bus alive forever.
        return try bus.register(topic, once: false) { [bus] id in
            { [weak bus] event in
                guard let event = stage(event), fired.claim() else { return }
                bus?.off(id)
                try handler(event)
            }
        }
    }

    /// Removes a listener, as ``EventBus/off(_:)``.
    @discardableResult
    public func off(_ id: ListenerID) -> Bool {
        bus.off(id)
    }
}
