/// Settings of agent streams (`config.streaming` in the Ruby gem).
public struct StreamingSettings: Sendable, Equatable {
    /// The largest piece of text, in characters, one frame carries: a longer delta from the
    /// model is split (never inside a character), a shorter one goes out as it is, at once.
    /// `STREAMING_CHUNK_SIZE`, setting `streaming.chunk_size`. Default 1024.
    public var chunkSize: Int
    /// The most text, in UTF-8 bytes, a stream holds back while it coalesces (see
    /// ``coalesceInterval``): held text reaching it goes out at once. `STREAMING_BUFFER_SIZE`,
    /// setting `streaming.buffer_size`. Default 8192. Without coalescing nothing is held.
    public var bufferSize: Int
    /// When above zero, the deltas that arrive within this window are merged into one frame:
    /// fewer frames and less CPU, at the cost of up to this much latency; text is never held
    /// longer. `STREAMING_COALESCE_MS` (milliseconds), setting `streaming.coalesce_interval`.
    /// Default zero: every delta goes out as it arrives.
    public var coalesceInterval: Duration
    /// How long a stream may stay silent before it fails with a timeout; `STREAMING_TIMEOUT`
    /// (seconds), setting `streaming.timeout`. Default 60 s.
    public var timeout: Duration
    /// Whether the Server-Sent Events endpoint is served; setting `streaming.enable_sse`. Default `true`.
    public var enableSSE: Bool
    /// How long a Server-Sent Events response may stay silent (a model that thinks, a slow
    /// tool) before the server writes a `: keep-alive` comment, which clients ignore and
    /// proxies count as traffic. Keep it below the idle timeout of every proxy and load
    /// balancer in front of the server (nginx's `proxy_read_timeout`: 60 s by default).
    /// `STREAMING_SSE_KEEPALIVE` (seconds, `15`, `2.5`), setting `streaming.sse_keepalive`. Default 15 s.
    public var sseKeepalive: Duration
    /// A pause between chunks, for pacing a stream; setting `streaming.chunk_delay`. Default zero.
    public var chunkDelay: Duration
    /// The most model turns one agent run may take; setting `streaming.max_turns`. Default 10.
    public var maxTurns: Int
    /// How long a finished stream stays resumable; `STREAMING_REPLAY_RETENTION` (seconds),
    /// setting `streaming.replay_retention`. Default 300 s.
    public var replayRetention: Duration
    /// The most frames kept per stream for resuming; older ones are forgotten first.
    /// `STREAMING_REPLAY_BUFFER_FRAMES`, setting `streaming.replay_buffer_frames`. Default 10,000.
    public var replayBufferFrames: Int
    /// The most finished streams kept for resuming; the oldest is forgotten first.
    /// `STREAMING_MAX_RETAINED_STREAMS`, setting `streaming.max_retained_streams`. Default 1,000.
    public var maxRetainedStreams: Int
    /// The most agent streams running at once; more are refused with `server_busy`.
    /// `STREAMING_MAX_ACTIVE_STREAMS`, setting `streaming.max_active_streams`. Default 1,000.
    public var maxActiveStreams: Int

    /// Creates streaming settings; every parameter defaults to the gem's default.
    public init(
        chunkSize: Int = 1024,
        bufferSize: Int = 8192,
        coalesceInterval: Duration = .zero,
        timeout: Duration = .seconds(60),
        enableSSE: Bool = true,
        sseKeepalive: Duration = .seconds(15),
        chunkDelay: Duration = .zero,
        maxTurns: Int = 10,
        replayRetention: Duration = .seconds(300),
        replayBufferFrames: Int = 10_000,
        maxRetainedStreams: Int = 1_000,
        maxActiveStreams: Int = 1_000
    ) {
        self.chunkSize = chunkSize
        self.bufferSize = bufferSize
        self.coalesceInterval = coalesceInterval
        self.timeout = timeout
        self.enableSSE = enableSSE
        self.sseKeepalive = sseKeepalive
        self.chunkDelay = chunkDelay
        self.maxTurns = maxTurns
        self.replayRetention = replayRetention
        self.replayBufferFrames = replayBufferFrames
        self.maxRetainedStreams = maxRetainedStreams
        self.maxActiveStreams = maxActiveStreams
    }
}
