// One import gives an application the whole public surface: value types, use cases and
// the in-memory adapter (the offline model, the manual clock) and the OpenAI-compatible provider.
@_exported import StreamingApplication
@_exported import StreamingDomain
@_exported import StreamingMemory
@_exported import StreamingOpenAI
