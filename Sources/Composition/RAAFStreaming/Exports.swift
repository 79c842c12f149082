// One import gives an application the whole public surface: value types, use cases and
// the in-memory adapter (the offline model, the manual clock), the OpenAI-compatible provider
// and the SQLite and Redis job queues.
@_exported import StreamingApplication
@_exported import StreamingDomain
@_exported import StreamingCallbacks
@_exported import StreamingMemory
@_exported import StreamingOpenAI
@_exported import StreamingRedis
@_exported import StreamingSQLite
