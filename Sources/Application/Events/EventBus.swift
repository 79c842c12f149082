#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import StreamingDomain
import Synchronization

/// A publish-subscribe bus: listeners subscribe to topics (`agent.response`) or wildcard
/// patterns (`user.*`), and every emitted event reaches each matching listener.
///
/// ```swift
/// let bus = EventBus()
/// try bus.on("user.*") { event in print(event.topic, event.data ?? nil) }
/// bus.emit("user.login", data: ["user_id": "user123"])
/// ```
///
/// `emit` is synchronous and cheap: one lock to number the event, record it in the history
/// and pick its listeners, then the handlers run in registration order outside the lock, so
/// a handler may call `on`, `off` or `emit` itself. The runner emits once per streamed token.
public final class EventBus: Sendable {
    /// The options the bus was created with.
    public let options: EventBusOptions
    private let logger: Logger
    private let state: Mutex<EventBusState>

    /// Creates a bus; `logger` receives a warning for every listener that throws.
    public init(options: EventBusOptions = .init(), logger: Logger = Logger(label: LogLabel.events)) {
        self.options = options
        self.logger = logger
        self.state = Mutex(EventBusState(options: options))
    }

    // MARK: Listening

    /// Calls `handler` for every event whose topic matches `topic` (a wildcard pattern when
    /// it contains `*` and wildcards are enabled), until ``off(_:)`` removes it.
    ///
    /// - Throws: `StreamingError.listenerLimitExceeded(topic:limit:)` when `topic` already
    ///   has ``EventBusOptions/maxListeners`` listeners.
    @discardableResult
    public func on(_ topic: String, _ handler: @escaping @Sendable (BusEvent) throws -> Void) throws -> ListenerID {
        try register(topic, once: false) { _ in handler }
    }

    /// Calls `handler` for the next event matching `topic` only, then removes it. Even when
    /// many tasks emit at once, exactly one event reaches it.
    ///
    /// - Throws: `StreamingError.listenerLimitExceeded(topic:limit:)` as ``on(_:_:)``.
    @discardableResult
    public func once(_ topic: String, _ handler: @escaping @Sendable (BusEvent) throws -> Void) throws
        -> ListenerID
    {
        try register(topic, once: true) { _ in handler }
    }

    /// Removes a listener or an error handler. Returns `false` when `id` is not registered,
    /// for example a `once` listener that already fired. An emit already under way may
    /// still deliver its event to the listener.
    @discardableResult
    public func off(_ id: ListenerID) -> Bool {
        state.withLock { state in
            if state.registry.remove(id) { return true }
            guard let index = state.errorHandlers.firstIndex(where: { $0.id == id }) else { return false }
            state.errorHandlers.remove(at: index)
            return true
        }
    }

    /// Whether an event on `topic` would reach any listener now. Cheap enough to ask before
    /// building a payload nobody would read.
    public func hasListeners(for topic: String) -> Bool {
        state.withLock { $0.registry.hasListeners(for: topic) }
    }

    /// Calls `handler` with every failure of a listener, after the bus has counted and logged
    /// it. Remove the handler with ``off(_:)`` and the returned id.
    @discardableResult
    public func onListenerError(_ handler: @escaping @Sendable (ListenerFailure) -> Void) -> ListenerID {
        state.withLock { state in
            let id = state.registry.makeID()
            state.errorHandlers.append((id, handler))
            return id
        }
    }

    /// Registers a listener whose handler may need its own id; views build on this.
    func register(
        _ topic: String,
        once: Bool,
        makeHandler: (ListenerID) -> EventHandler
    ) throws(StreamingError) -> ListenerID {
        try state.withLock { state throws(StreamingError) in
            try state.registry.add(topic, once: once, makeHandler: makeHandler)
        }
    }

    // MARK: Emitting

    /// Emits an event on `topic` and delivers it to every matching listener, in the order
    /// they registered, before returning. A listener that throws does not stop the others.
    ///
    /// An `emit` made by a handler is delivered in full before the outer event reaches the
    /// remaining listeners, as with a nested function call. Listeners added or removed by a
    /// handler take effect from the next event on.
    public func emit(_ topic: String, _ payload: EventPayload = .none) {
        // The clock is read outside the lock to keep the critical section short; timestamps
        // of events emitted concurrently may therefore be out of sequence order by a hair.
        let now = Date()
        let (event, listeners) = state.withLock { state in
            state.sequence += 1
            let event = BusEvent(topic: topic, payload: payload, timestamp: now, sequence: state.sequence)
            state.remember(event)
            let listeners = state.registry.take(for: topic)
            state.delivered += UInt64(listeners.count)
            return (event, listeners)
        }
        for listener in listeners {
            do {
                try listener.handler(event)
            } catch {
                report(ListenerFailure(event: event, listener: listener.id, error: error))
            }
        }
    }

    /// Emits an event whose payload is the JSON `data`.
    public func emit(_ topic: String, data: JSONValue) {
        emit(topic, .json(data))
    }

    /// Emits on another task and returns at once; awaiting the task's `value` waits until
    /// every listener has run. Events emitted this way may overtake one another.
    @discardableResult
    public func emitAsync(_ topic: String, _ payload: EventPayload = .none) -> Task<Void, Never> {
        Task { self.emit(topic, payload) }
    }

    /// The rare path: count, log and pass on one failure.
    private func report(_ failure: ListenerFailure) {
        let handlers = state.withLock { state in
            state.listenerErrors += 1
            return state.errorHandlers.map(\.handler)
        }
        logger.warning(
            "event listener failed",
            metadata: [
                "topic": .string(failure.topic),
                "listener": .stringConvertible(failure.listener),
                "error": .string(failure.errorDescription),
            ]
        )
        for handler in handlers { handler(failure) }
    }

    // MARK: Inspecting

    /// The remembered events, oldest first; only those matching `topic` when given (a
    /// wildcard pattern when it contains `*` and wildcards are enabled).
    public func history(topic: String? = nil) -> [BusEvent] {
        let events = state.withLock { Array($0.history) }
        guard let topic else { return events }
        if options.enableWildcards, TopicPattern.isPattern(topic) {
            let pattern = TopicPattern(topic)
            return events.filter { pattern.matches($0.topic) }
        }
        return events.filter { $0.topic == topic }
    }

    /// The bus's counters, all read at one instant.
    public var stats: EventBusStats {
        state.withLock { $0.stats }
    }

    // MARK: Views

    /// A view of this bus whose listeners see only events for which `isIncluded` is `true`.
    public func filter(_ isIncluded: @escaping @Sendable (BusEvent) -> Bool) -> EventBusView {
        EventBusView(bus: self).filter(isIncluded)
    }

    /// A view of this bus whose listeners see every event passed through `transform`.
    public func map(_ transform: @escaping @Sendable (BusEvent) -> BusEvent) -> EventBusView {
        EventBusView(bus: self).map(transform)
    }
}
