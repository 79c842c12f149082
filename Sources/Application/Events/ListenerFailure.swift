/// A listener threw while handling an event; ``EventBus/onListenerError(_:)`` handlers receive this.
public struct ListenerFailure: Sendable {
    /// The event the listener was handling.
    public let event: BusEvent
    /// The listener that threw.
    public let listener: ListenerID
    /// What it threw.
    public let error: any Error

    /// Describes one failed delivery.
    public init(event: BusEvent, listener: ListenerID, error: any Error) {
        self.event = event
        self.listener = listener
        self.error = error
    }

    /// The topic of the event the listener was handling.
    public var topic: String { event.topic }

    /// The error as text, for logs.
    public var errorDescription: String { String(describing: error) }
}
