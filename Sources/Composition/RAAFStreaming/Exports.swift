// One import gives an application the whole public surface: value types, use cases and
// the in-memory adapter (the offline model, the manual clock).
@_exported import StreamingApplication
@_exported import StreamingDomain
@_exported import StreamingMemory
