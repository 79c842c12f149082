import StreamingApplication
import StreamingDomain

extension WebSocketClient {
    /// Everything a ``WebSocketClient`` needs to know before it connects.
    ///
    /// ```swift
    /// var configuration = WebSocketClient.Configuration(url: "ws://localhost:8080/ws")
    /// configuration.reconnect = .exponential(maxAttempts: 10, initialDelay: .milliseconds(250), maxDelay: .seconds(10))
    /// configuration.token = "secret"
    /// configuration.compression = .init()
    /// ```
    public struct Configuration: Sendable {
        /// The server's WebSocket URL: `ws://host:port/path` or `wss://...`.
        public var url: String
        /// When and how often to reconnect after the connection drops or a connect fails.
        public var reconnect: ReconnectPolicy
        /// The most messages (publishes, requests) held while the connection is down or busy;
        /// one more is refused with ``StreamingDomain/StreamingError/queueFull(capacity:)``.
        public var maxQueuedMessages: Int
        /// The most events of one agent stream held for a consumer that has not read them yet.
        ///
        /// When a slow consumer lets this many pile up, the client stops taking the stream's
        /// frames; once the consumer has read half of them, it sends `resume` and the server
        /// replays the rest, so memory stays bounded and no event is lost or repeated.
        public var maxBufferedStreamEvents: Int
        /// permessage-deflate (RFC 7692), or `nil` to send and receive uncompressed frames.
        public var compression: Compression?
        /// Extra HTTP headers sent with every upgrade request (`Authorization`, for example).
        public var headers: [String: String]
        /// A token to authenticate with as soon as each connection opens; the same as calling
        /// ``WebSocketClient/authenticate(token:)`` before ``WebSocketClient/run()``.
        public var token: String?
        /// How long ``WebSocketClient/subscribe(_:)``, ``WebSocketClient/unsubscribe(_:)`` and
        /// ``WebSocketClient/authenticate(token:)`` wait for the server's reply, reconnects included.
        public var requestTimeout: Duration
        /// How often the client pings the server; a server that does not answer within the next
        /// period is taken for gone, and the client reconnects. `nil` sends no pings.
        public var pingInterval: Duration?
        /// The largest message the client sends or accepts, in bytes.
        public var maxMessageSize: Int
        /// How long a close handshake may take before the client drops the connection.
        public var closeTimeout: Duration

        /// Creates a configuration with sensible defaults: reconnect with backoff from 250 ms
        /// to 30 s for up to 10 attempts, 1000 queued messages, 1024 buffered events per agent
        /// stream, no compression, 10 s requests, a ping every 30 s and messages up to 1 MiB.
        public init(
            url: String,
            reconnect: ReconnectPolicy = .exponential(),
            maxQueuedMessages: Int = 1000,
            maxBufferedStreamEvents: Int = 1024,
            compression: Compression? = nil,
            headers: [String: String] = [:],
            token: String? = nil,
            requestTimeout: Duration = .seconds(10),
            pingInterval: Duration? = .seconds(30),
            maxMessageSize: Int = 1 << 20,
            closeTimeout: Duration = .seconds(5)
        ) {
            self.url = url
            self.reconnect = reconnect
            self.maxQueuedMessages = maxQueuedMessages
            self.maxBufferedStreamEvents = max(1, maxBufferedStreamEvents)
            self.compression = compression
            self.headers = headers
            self.token = token
            self.requestTimeout = requestTimeout
            self.pingInterval = pingInterval
            self.maxMessageSize = maxMessageSize
            self.closeTimeout = closeTimeout
        }
    }

    /// How the client reconnects: exponential backoff with full jitter, capped, for a
    /// bounded number of attempts.
    ///
    /// The wait before reconnect attempt `n` is drawn uniformly from zero to
    /// `min(maxDelay, initialDelay × 2^(n-1))` (``StreamingApplication/RetryBackoff``), so
    /// clients dropped together by a restarting server do not return in step. The count
    /// starts again after every successful connection.
    public struct ReconnectPolicy: Sendable, Hashable {
        /// The most reconnect attempts in a row before the client gives up; `nil` never gives up.
        /// `0` does not reconnect at all.
        public var maxAttempts: Int?
        /// The ceiling of the first wait.
        public var initialDelay: Duration
        /// The largest ceiling of any wait.
        public var maxDelay: Duration

        /// Creates a policy; `maxDelay` below `initialDelay` is raised to it.
        public init(maxAttempts: Int?, initialDelay: Duration, maxDelay: Duration) {
            self.maxAttempts = maxAttempts.map { max(0, $0) }
            self.initialDelay = initialDelay
            self.maxDelay = max(initialDelay, maxDelay)
        }

        /// Exponential backoff with full jitter.
        public static func exponential(
            maxAttempts: Int? = 10,
            initialDelay: Duration = .milliseconds(250),
            maxDelay: Duration = .seconds(30)
        ) -> ReconnectPolicy {
            ReconnectPolicy(maxAttempts: maxAttempts, initialDelay: initialDelay, maxDelay: maxDelay)
        }

        /// Never reconnect: the first drop, or a failed first connect, ends ``WebSocketClient/run()``.
        public static let disabled = ReconnectPolicy(maxAttempts: 0, initialDelay: .zero, maxDelay: .zero)

        /// The backoff this policy draws its waits from.
        public var backoff: RetryBackoff { RetryBackoff(base: initialDelay, cap: maxDelay) }

        /// Whether attempt number `attempt` (1 for the first reconnect) may be made.
        public func allows(attempt: Int) -> Bool {
            guard let maxAttempts else { return true }
            return attempt <= maxAttempts
        }

        /// A random wait before reconnect attempt `attempt` (1 for the first).
        public func delay(beforeAttempt attempt: Int, using random: inout some RandomNumberGenerator) -> Duration {
            backoff.delay(beforeRetry: attempt, using: &random)
        }

        /// The wait before reconnect attempt `attempt` after a connection the server closed
        /// with `closeCode`: none for the first attempt after 1012 (service restart: a
        /// draining server sends its clients to another node now), the backoff otherwise.
        public func delay(
            beforeAttempt attempt: Int, afterClose closeCode: CloseCode?, using random: inout some RandomNumberGenerator
        ) -> Duration {
            if attempt == 1, closeCode == .serviceRestart { return .zero }
            return delay(beforeAttempt: attempt, using: &random)
        }
    }

    /// permessage-deflate settings.
    ///
    /// The server must offer the extension too; when it does not, frames go uncompressed.
    public struct Compression: Sendable, Hashable {
        /// The largest message after decompression, in bytes. The library's default of
        /// 16 KiB closes the connection (1011) on any larger message, so this defaults to 1 MiB.
        public var maxDecompressedMessageSize: Int
        /// Messages shorter than this many bytes are sent uncompressed.
        public var minMessageSizeToCompress: Int
        /// Whether each message is compressed on its own, which saves memory per connection
        /// and costs ratio.
        public var noContextTakeover: Bool

        /// Creates permessage-deflate settings; the defaults suit JSON frames up to 1 MiB.
        public init(
            maxDecompressedMessageSize: Int = 1 << 20,
            minMessageSizeToCompress: Int = 256,
            noContextTakeover: Bool = false
        ) {
            self.maxDecompressedMessageSize = maxDecompressedMessageSize
            self.minMessageSizeToCompress = minMessageSizeToCompress
            self.noContextTakeover = noContextTakeover
        }
    }
}
