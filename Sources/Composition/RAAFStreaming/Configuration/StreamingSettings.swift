/// Settings of agent streams (`config.streaming` in the Ruby gem).
public struct StreamingSettings: Sendable, Equatable {
    /// The size, in characters, streamed text is re-chunked to; `STREAMING_CHUNK_SIZE`,
    /// setting `streaming.chunk_size`. Default 1024.
    public var chunkSize: Int
    /// How many characters a stream buffers before it applies back-pressure; `STREAMING_BUFFER_SIZE`,
    /// setting `streaming.buffer_size`. Default 8192.
    public var bufferSize: Int
    /// How long a stream may stay silent before it fails with a timeout; `STREAMING_TIMEOUT`
    /// (seconds), setting `streaming.timeout`. Default 60 s.
    public var timeout: Duration
    /// Whether the Server-Sent Events endpoint is served; setting `streaming.enable_sse`. Default `true`.
    public var enableSSE: Bool
    /// A pause between chunks, for pacing a stream; setting `streaming.chunk_delay`. Default zero.
    public var chunkDelay: Duration
    /// The most model turns one agent run may take; setting `streaming.max_turns`. Default 10.
    public var maxTurns: Int

    /// Creates streaming settings; every parameter defaults to the gem's default.
    public init(
        chunkSize: Int = 1024,
        bufferSize: Int = 8192,
        timeout: Duration = .seconds(60),
        enableSSE: Bool = true,
        chunkDelay: Duration = .zero,
        maxTurns: Int = 10
    ) {
        self.chunkSize = chunkSize
        self.bufferSize = bufferSize
        self.timeout = timeout
        self.enableSSE = enableSSE
        self.chunkDelay = chunkDelay
        self.maxTurns = maxTurns
    }
}
