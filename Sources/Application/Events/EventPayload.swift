import StreamingDomain

/// What a ``BusEvent`` carries.
///
/// Agent events keep their typed form (`stream`) instead of being turned into JSON,
/// because the runner publishes one per streamed token and most are never serialized.
public enum EventPayload: Sendable, Equatable {
    /// No data: the topic alone is the message.
    case none
    /// Free-form JSON data, as the Ruby gem's hashes.
    case json(JSONValue)
    /// An event of the agent run `runID`, published by the runner.
    case stream(runID: String, event: StreamEvent)
}
