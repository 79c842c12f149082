#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StreamingDomain

/// One event delivered by an ``EventBus``.
public struct BusEvent: Sendable, Equatable {
    /// The topic the event was emitted on, such as `user.login`; never a pattern.
    public let topic: String
    /// The data the event carries.
    public let payload: EventPayload
    /// When the event was emitted.
    public let timestamp: Date
    /// The position of the event among everything its bus emitted, starting at 1.
    public let sequence: UInt64

    /// Creates an event; buses create them on `emit`, views' `map` transforms may create others.
    public init(topic: String, payload: EventPayload = .none, timestamp: Date, sequence: UInt64) {
        self.topic = topic
        self.payload = payload
        self.timestamp = timestamp
        self.sequence = sequence
    }

    /// The JSON data of a `json` payload, else `nil`.
    public var data: JSONValue? {
        if case .json(let value) = payload { return value }
        return nil
    }

    /// The agent event of a `stream` payload, else `nil`.
    public var streamEvent: StreamEvent? {
        if case .stream(_, let event) = payload { return event }
        return nil
    }

    /// The run id of a `stream` payload, else `nil`.
    public var runID: String? {
        if case .stream(let runID, _) = payload { return runID }
        return nil
    }

    /// A copy of this event with another payload; the topic, time and sequence stay.
    public func with(payload: EventPayload) -> BusEvent {
        BusEvent(topic: topic, payload: payload, timestamp: timestamp, sequence: sequence)
    }
}
