import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import StreamingApplication
import StreamingDomain

/// A ``ModelProvider`` for OpenAI and every server that speaks the Chat Completions
/// protocol (Ollama, vLLM, llama.cpp's server, LM Studio, OpenRouter), streaming over HTTP.
///
/// ```swift
/// let provider = OpenAIProvider(configuration: .init(apiKey: key))
/// let runner = AgentRunner(provider: provider)
/// // ...
/// try await provider.shutdown()
/// ```
/// Errors are typed: a non-2xx answer is ``StreamingError/provider(status:message:)`` with
/// the server's message (429 and 5xx are retried first, see ``RetryPolicy``), a connection
/// dropped mid-stream is ``StreamingError/connection(_:)``, no byte for `idleTimeout` is
/// ``StreamingError/timeout(_:)``, a line that is not a chunk is
/// ``StreamingError/protocol(_:)``. A stream that ends before `[DONE]` and before any
/// finish reason is a dropped connection, never a silently short answer.
///
/// The provider owns an HTTP client; call ``shutdown()`` when done with it.
///
/// ## Requests at once
/// At most ``Configuration/maxConnections`` requests run at once, each on its own HTTP/1.1
/// connection (kept alive between requests for ``Configuration/keepAlive``), or as streams of
/// an HTTP/2 connection where the server offers HTTP/2 over TLS (ALPN): at most
/// ``Configuration/maxStreamsPerConnection`` streams on one connection, the next on a second
/// connection, and so on. A request beyond the limit
/// waits, in arrival order, for at most ``Configuration/queueTimeout``, then fails with
/// ``StreamingError/serverBusy(_:)`` (`server_busy`). A run cancelled while it waits leaves
/// the queue at once; one cancelled while it streams gives its place to the next at once.
/// ``requestStats`` reports the requests in flight and waiting, their waits, and the time to
/// first token. Each provider has its own limit.
public final class OpenAIProvider: ModelProvider {
    public struct Configuration: Sendable {
        /// The API root, up to and including `/v1`.
        public var baseURL: String
        /// Sent only as `Authorization: Bearer …`; never logged, never in an error.
        public var apiKey: String?
        /// The longest wait for the next byte, answer headers included (`streaming.timeout`).
        public var idleTimeout: Duration
        /// The longest wait for a new connection to the model server (`provider.connect_timeout`).
        public var connectTimeout: Duration
        public var retry: RetryPolicy
        /// The most bytes of an error answer read to find its message.
        public var maxErrorBodyBytes: Int
        /// The most requests running at once: HTTP/1.1 connections, or HTTP/2 streams
        /// (`provider.max_connections`). Default 1,000; values below 1 count as 1.
        public var maxConnections: Int
        /// The longest a request waits for a place when ``maxConnections`` run already, before
        /// it fails with ``StreamingError/serverBusy(_:)`` (`provider.queue_timeout`). Default 30 s.
        public var queueTimeout: Duration
        /// How long an unused connection stays open for the next request. Default 60 s.
        public var keepAlive: Duration
        /// The most requests sent as streams of one HTTP/2 connection; past it the provider opens
        /// another connection (`provider.max_streams_per_connection`). Default 100, the fewest
        /// streams RFC 9113 recommends a server allow (Hypercorn and h2o allow 100, nginx 128).
        /// Set it to the server's `SETTINGS_MAX_CONCURRENT_STREAMS` when that is lower: a request
        /// past the server's cap would wait in the HTTP client's pool and fail after the connect
        /// timeout. HTTP/1.1 does not use it. Values below 1 count as 1.
        public var maxStreamsPerConnection: Int
        /// A PEM file of certificate authorities trusted besides the system's, for a model
        /// server whose certificate a private CA signed (`provider.ca_file`). Default `nil`:
        /// the system's roots only. Check it first with ``OpenAIProvider/checkCAFile(_:)``.
        public var caFile: String?

        public init(
            baseURL: String = "https://api.openai.com/v1",
            apiKey: String? = nil,
            idleTimeout: Duration = .seconds(60),
            connectTimeout: Duration = .seconds(10),
            retry: RetryPolicy = RetryPolicy(),
            maxErrorBodyBytes: Int = 64 * 1024,
            maxConnections: Int = 1_000,
            queueTimeout: Duration = .seconds(30),
            keepAlive: Duration = .seconds(60),
            maxStreamsPerConnection: Int = 100,
            caFile: String? = nil
        ) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.idleTimeout = idleTimeout
            self.connectTimeout = connectTimeout
            self.retry = retry
            self.maxErrorBodyBytes = maxErrorBodyBytes
            self.maxConnections = maxConnections
            self.queueTimeout = queueTimeout
            self.keepAlive = keepAlive
            self.maxStreamsPerConnection = maxStreamsPerConnection
            self.caFile = caFile
        }
    }

    public let configuration: Configuration
    private let lanes: ClientLanes
    private let clock: any Clock<Duration>
    private let logger: Logger
    private let endpoint: String
    private let limiter: RequestLimiter

    /// - Parameter clock: waits between retries and times the queue timeout; tests pass their own.
    public init(
        configuration: Configuration,
        clock: any Clock<Duration> = ContinuousClock(),
        logger: Logger = Logger(label: LogLabel.streaming)
    ) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        var base = configuration.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.endpoint = base + "/chat/completions"
        var httpConfiguration = HTTPClient.Configuration()
        // The read timeout is an idle timeout: it restarts with every read, so a long
        // answer is fine and a stalled one is not.
        httpConfiguration.timeout = .init(
            connect: TimeAmount(configuration.connectTimeout),
            read: TimeAmount(configuration.idleTimeout)
        )
        // Each lane's pool holds as many connections as the lanes let requests through it, so
        // a request the limiter let through never waits in a pool (and never hits its
        // timeout). `.automatic` negotiates HTTP/2 over TLS: one connection, many streams.
        httpConfiguration.httpVersion = .automatic
        if let caFile = configuration.caFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.file(caFile)]
            httpConfiguration.tlsConfiguration = tls
        }
        httpConfiguration.connectionPool = .init(
            idleTimeout: TimeAmount(configuration.keepAlive),
            concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, min(configuration.maxConnections, configuration.maxStreamsPerConnection))
        )
        let clientConfiguration = httpConfiguration
        self.lanes = ClientLanes(streamsPerConnection: configuration.maxStreamsPerConnection) {
            HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        }
        self.limiter = RequestLimiter(
            limit: configuration.maxConnections, queueTimeout: configuration.queueTimeout, clock: clock)
    }

    /// The requests in flight and waiting, their waits and the time to first token.
    public var requestStats: ModelRequestStats? { limiter.stats }

    public func stream(_ request: ModelRequest) async throws -> ModelResponseStream {
        let began = ContinuousClock.now
        let body = ByteBuffer(string: ChatCompletionRequestEncoder.body(for: request))
        var random = SystemRandomNumberGenerator()
        var retries = 0
        while true {
            let permit = try await limiter.acquire()
            let lane = lanes.lease()
            let response: HTTPClientResponse
            do {
                response = try await send(body, on: lane.client)
            } catch {
                lane.release()
                permit.release()
                throw error
            }
            let status = Int(response.status.code)
            if (200..<300).contains(status) {
                logger.debug("model stream started", metadata: ["model": "\(request.model)", "status": "\(status)"])
                let inFlight = RequestInFlight(permit: permit, lane: lane, limiter: limiter, began: began)
                return ModelResponseStream(ChatCompletionStream(body: response.body, status: status, request: inFlight))
            }
            let message = await errorMessage(from: response)
            // Waiting to retry holds no connection.
            lane.release()
            permit.release()
            let retryAfter = RetryAfter.duration(in: response.headers)
            retries += 1
            guard RetryPolicy.isRetryable(status: status),
                let delay = configuration.retry.delay(beforeRetry: retries, retryAfter: retryAfter, using: &random)
            else {
                throw StreamingError.provider(status: status, message: message)
            }
            logger.info(
                "model request will be retried",
                metadata: ["status": "\(status)", "retry": "\(retries)", "delay": "\(delay)"]
            )
            try await clock.sleep(for: delay)
        }
    }

    /// Checks that `path` is a PEM file with at least one certificate, as
    /// ``Configuration/caFile`` needs: a configuration error at start, rather than a failed TLS
    /// handshake on every request.
    /// - Throws: ``StreamingError/configuration(variable:reason:)`` naming `provider.ca_file`.
    public static func checkCAFile(_ path: String) throws(StreamingError) {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw .configuration(variable: "provider.ca_file", reason: "expected a readable PEM file of certificates, got \(path): \(error)")
        }
        if certificates.isEmpty {
            throw .configuration(variable: "provider.ca_file", reason: "expected at least one certificate in \(path)")
        }
    }

    /// Closes the HTTP client; requests after this fail.
    public func shutdown() async throws {
        try await lanes.shutdown()
    }

    private func send(_ body: ByteBuffer, on client: HTTPClient) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: endpoint)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "accept", value: "text/event-stream")
        request.headers.add(name: "user-agent", value: "raaf-streaming-swift")
        if let apiKey = configuration.apiKey {
            request.headers.add(name: "authorization", value: "Bearer \(apiKey)")
        }
        request.body = .bytes(body)
        do {
            return try await client.execute(request, deadline: .distantFuture, logger: logger)
        } catch {
            throw ChatCompletionStream.translate(error, apiKey: configuration.apiKey)
        }
    }

    /// The `error.message` of an error answer, else its text, bounded and without the key.
    private func errorMessage(from response: HTTPClientResponse) async -> String {
        var collected = ByteBuffer()
        do {
            for try await chunk in response.body {
                var chunk = chunk
                let room = configuration.maxErrorBodyBytes - collected.readableBytes
                guard room > 0 else { break }
                if let slice = chunk.readSlice(length: min(room, chunk.readableBytes)) {
                    collected.writeImmutableBuffer(slice)
                }
            }
        } catch {
            // A broken error body still leaves the status to report.
        }
        let text = String(buffer: collected)
        var message = text.isEmpty ? "HTTP \(response.status.code) \(response.status.reasonPhrase)" : text
        struct ErrorBody: Decodable {
            struct Detail: Decodable { var message: String? }
            var error: Detail?
        }
        if let decoded = try? JSONDecoder().decode(ErrorBody.self, from: Data(text.utf8)),
            let detail = decoded.error?.message
        {
            message = detail
        } else if message.count > 500 {
            message = String(message.prefix(500)) + "…"
        }
        if let apiKey = configuration.apiKey, !apiKey.isEmpty {
            message = message.replacingOccurrences(of: apiKey, with: "[redacted]")
        }
        return message
    }

}
