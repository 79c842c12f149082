extension StreamingConfiguration {
    /// The environment variables ``StreamingConfiguration/applyingEnvironment(_:)`` reads,
    /// each with the setting it overrides.
    public enum EnvironmentVariable: String, CaseIterable, Sendable {
        /// The Redis server of background jobs.
        case redisURL = "REDIS_URL"
        /// The WebSocket server port.
        case websocketPort = "WEBSOCKET_PORT"
        /// The WebSocket server bind address.
        case websocketHost = "WEBSOCKET_HOST"
        /// The most WebSocket connections at once.
        case websocketMaxConnections = "WEBSOCKET_MAX_CONNECTIONS"
        /// The HTTP path WebSocket clients upgrade on.
        case websocketPath = "WEBSOCKET_PATH"
        /// The largest client message, in bytes.
        case websocketMaxMessageSize = "WEBSOCKET_MAX_MESSAGE_SIZE"
        /// Messages per minute each connection may send.
        case websocketRateLimit = "WEBSOCKET_RATE_LIMIT"
        /// Outbound bytes buffered per connection.
        case websocketBufferSize = "WEBSOCKET_BUFFER_SIZE"
        /// Allowed browser origins, comma-separated.
        case websocketAllowedOrigins = "WEBSOCKET_ALLOWED_ORIGINS"
        /// Authentication tokens as `token=identity` pairs, comma-separated; secrets.
        case websocketAuthTokens = "WEBSOCKET_AUTH_TOKENS"
        /// How often the server pings each connection, in seconds (`30`, `2.5`).
        case websocketHeartbeatInterval = "WEBSOCKET_HEARTBEAT_INTERVAL"
        /// Where chat rooms are kept: `memory`, `sqlite:PATH` or `redis` (the server of
        /// `REDIS_URL`, and the default when it is set).
        case chatStore = "CHAT_STORE"
        case chatMaxRooms = "CHAT_MAX_ROOMS"
        case chatMaxMessageLength = "CHAT_MAX_MESSAGE_LENGTH"
        case chatRateLimit = "CHAT_RATE_LIMIT"
        /// How many async tasks run at once.
        case asyncPoolSize = "ASYNC_POOL_SIZE"
        /// How many async tasks may wait.
        case asyncQueueSize = "ASYNC_QUEUE_SIZE"
        /// How many background workers run.
        case backgroundWorkers = "BACKGROUND_WORKERS"
        /// How often a failed job is retried.
        case backgroundRetryCount = "BACKGROUND_RETRY_COUNT"
        /// The named queue of the backend that workers, `enqueue` and `jobs` use.
        case backgroundQueueName = "BACKGROUND_QUEUE_NAME"
        /// The key of callback signatures (secret).
        case callbackSecret = "RAAF_CALLBACK_SECRET"
        /// The hosts callbacks may go to, comma-separated.
        case callbackAllowedHosts = "RAAF_CALLBACK_ALLOWED_HOSTS"
        /// The largest piece of streamed text in one frame, in characters.
        case streamingChunkSize = "STREAMING_CHUNK_SIZE"
        /// The most text a coalescing stream holds back, in bytes.
        case streamingBufferSize = "STREAMING_BUFFER_SIZE"
        /// The coalescing window of streamed text, in milliseconds (0: none).
        case streamingCoalesceMS = "STREAMING_COALESCE_MS"
        /// The stream timeout, in seconds (`60`, `2.5`).
        case streamingTimeout = "STREAMING_TIMEOUT"
        /// How long a finished stream stays resumable, in seconds.
        case streamingReplayRetention = "STREAMING_REPLAY_RETENTION"
        /// The most frames kept per stream for resuming.
        case streamingReplayBufferFrames = "STREAMING_REPLAY_BUFFER_FRAMES"
        /// The most finished streams kept for resuming.
        case streamingMaxRetainedStreams = "STREAMING_MAX_RETAINED_STREAMS"
        /// The most agent streams running at once.
        case streamingMaxActiveStreams = "STREAMING_MAX_ACTIVE_STREAMS"
        /// The model server API key; a secret.
        case openAIAPIKey = "OPENAI_API_KEY"
        /// The base URL of an OpenAI-compatible server.
        case openAIBaseURL = "OPENAI_BASE_URL"
        /// The most model requests running at once.
        case openAIMaxConnections = "OPENAI_MAX_CONNECTIONS"
        /// How long a model request may wait for a connection, in seconds.
        case openAIQueueTimeout = "OPENAI_QUEUE_TIMEOUT"
        /// How long connecting to the model server may take, in seconds.
        case openAIConnectTimeout = "OPENAI_CONNECT_TIMEOUT"
        /// The most model requests on one HTTP/2 connection.
        case openAIMaxStreamsPerConnection = "OPENAI_MAX_STREAMS_PER_CONNECTION"
        /// A PEM file of certificate authorities trusted for the model server.
        case openAICAFile = "OPENAI_CA_FILE"
        /// The default model name.
        case model = "RAAF_MODEL"
        /// A pause before each delta of the model, in milliseconds (`0`: none); the Ruby gem's
        /// `simulation_delay`, to watch the offline model stream at a person's pace.
        case simulationDelay = "RAAF_SIMULATION_DELAY_MS"
        /// The lowest log level written.
        case logLevel = "RAAF_LOG_LEVEL"
        /// The log line format, `text` or `json`.
        case logFormat = "RAAF_LOG_FORMAT"
        /// How long a shutdown drains running streams and jobs, in seconds (`30`, `2.5`, `0`).
        case shutdownGrace = "SHUTDOWN_GRACE"
        /// How long a Server-Sent Events response may stay silent before a keep-alive comment, in seconds.
        case streamingSSEKeepalive = "STREAMING_SSE_KEEPALIVE"
        /// The bearer token `/stats` and `/metrics` require; a secret.
        case adminToken = "ADMIN_TOKEN"
        /// A port of its own for `/stats`, `/metrics` and the health probes.
        case adminPort = "ADMIN_PORT"
        /// Reverse proxies (addresses or CIDR ranges, comma-separated) whose forwarding headers are believed.
        case trustedProxies = "TRUSTED_PROXIES"
        /// This node's name in a cluster (with `REDIS_URL`).
        case nodeID = "RAAF_NODE_ID"
        /// Connections to Redis in the pool of commands (jobs, stream logs).
        case redisPoolSize = "REDIS_POOL_SIZE"

        /// The variable's name, as it is spelled in the environment.
        public var name: String { rawValue }

        /// The setting the variable overrides, as ``StreamingConfiguration/validate()`` names it.
        public var setting: String {
            switch self {
            case .redisURL: "background.redis_url"
            case .websocketPort: "websocket.port"
            case .websocketHost: "websocket.host"
            case .websocketMaxConnections: "websocket.max_connections"
            case .websocketPath: "websocket.path"
            case .websocketMaxMessageSize: "websocket.max_message_size"
            case .websocketRateLimit: "websocket.messages_per_minute"
            case .websocketBufferSize: "websocket.buffer_size"
            case .websocketAllowedOrigins: "websocket.allowed_origins"
            case .websocketAuthTokens: "websocket.auth_tokens"
            case .websocketHeartbeatInterval: "websocket.heartbeat_interval"
            case .chatStore: "chat.store"
            case .chatMaxRooms: "chat.max_rooms"
            case .chatMaxMessageLength: "chat.max_message_length"
            case .chatRateLimit: "chat.rate_limit"
            case .asyncPoolSize: "async.pool_size"
            case .asyncQueueSize: "async.queue_size"
            case .backgroundWorkers: "background.workers"
            case .backgroundRetryCount: "background.retry_count"
            case .backgroundQueueName: "background.queue_name"
            case .callbackSecret: "background.callback_secret"
            case .callbackAllowedHosts: "background.callback_allowed_hosts"
            case .streamingChunkSize: "streaming.chunk_size"
            case .streamingBufferSize: "streaming.buffer_size"
            case .streamingCoalesceMS: "streaming.coalesce_interval"
            case .streamingTimeout: "streaming.timeout"
            case .streamingReplayRetention: "streaming.replay_retention"
            case .streamingReplayBufferFrames: "streaming.replay_buffer_frames"
            case .streamingMaxRetainedStreams: "streaming.max_retained_streams"
            case .streamingMaxActiveStreams: "streaming.max_active_streams"
            case .openAIAPIKey: "provider.api_key"
            case .openAIBaseURL: "provider.base_url"
            case .openAIMaxConnections: "provider.max_connections"
            case .openAIQueueTimeout: "provider.queue_timeout"
            case .openAIConnectTimeout: "provider.connect_timeout"
            case .openAIMaxStreamsPerConnection: "provider.max_streams_per_connection"
            case .openAICAFile: "provider.ca_file"
            case .model: "provider.model"
            case .simulationDelay: "provider.simulation_delay"
            case .logLevel: "logging.level"
            case .logFormat: "logging.format"
            case .shutdownGrace: "server.shutdown_grace"
            case .streamingSSEKeepalive: "streaming.sse_keepalive"
            case .adminToken: "server.admin_token"
            case .adminPort: "server.admin_port"
            case .trustedProxies: "server.trusted_proxies"
            case .nodeID: "server.node_id"
            case .redisPoolSize: "background.redis_pool_size"
            }
        }

        /// Whether the value is a secret, never to be shown (the API key, the auth tokens, the
        /// callback secret, the admin token).
        public var isSecret: Bool {
            self == .openAIAPIKey || self == .websocketAuthTokens || self == .callbackSecret || self == .adminToken
        }
    }
}
