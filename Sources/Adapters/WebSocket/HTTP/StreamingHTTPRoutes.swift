import HTTPTypes
import Hummingbird
import NIOCore
import StreamingApplication
import StreamingDomain

/// The HTTP side of the real-time server, added to any Hummingbird router:
///
/// | route | answer |
/// | --- | --- |
/// | `POST /v1/agents/{name}/stream` | starts an agent stream from `{"input": TEXT}` (optional `"id"`) and sends its frames as Server-Sent Events |
/// | `GET /v1/streams/{id}` | the frames of a running or recently finished stream as Server-Sent Events, after `Last-Event-ID` when given |
/// | `GET /health` | with ``Options/health``: every component's state and latency, 200 when the required ones work, 503 naming the failing ones; else `{"status":"ok"}` |
/// | `GET /health/live` | `{"status":"ok"}` while the process answers (liveness) |
/// | `GET /health/ready` | `{"status":"ready"}`; 503 `{"status":"draining"}` once a shutdown began, 503 `{"status":"failing","failing":[...]}` when a required component fails (readiness) |
/// | `GET /stats` | the hub's figures as JSON, plus ``Options/extraStats`` (``Options/adminToken`` guards it) |
/// | `GET /metrics` | ``Options/metrics``'s Prometheus text, when set (``Options/adminToken`` guards it) |
///
/// An event-stream response starts at once with a `retry:` field (``Options/retry``) and
/// carries a `: keep-alive` comment whenever it has been silent for ``Options/keepAlive``.
///
/// ```swift
/// let router = Router()
/// StreamingHTTPRoutes(hub: hub).register(on: router)
/// ```
///
/// Failures answer with the protocol's error object, `{"type":"error","code":...,"message":...}`,
/// and the status that fits the code: 400 `invalid_message`, 401 `unauthorized`,
/// 403 `forbidden`, 404 `not_found` (410 when the frames a reader asks for are no longer
/// kept), 413 `too_large`, 503 `server_busy`, and 503 `shutting_down` for a stream asked for
/// while the server drains.
///
/// When the hub requires authentication, the stream routes do too: a bearer token in the
/// `Authorization` header, or a `token` query parameter for a browser `EventSource`, which
/// cannot set headers. A stream can be followed only by the identity that started it.
public struct StreamingHTTPRoutes: Sendable {
    /// What the routes serve, beyond the hub.
    public struct Options: Sendable {
        /// Whether the Server-Sent Events routes are served (`streaming.enable_sse`); when
        /// `false` they are not registered at all and answer 404.
        public var enableSSE: Bool
        /// The largest `POST` body read, in bytes; a larger one is refused with 413 `too_large`.
        public var maxRequestBodySize: Int
        /// More sections for `/stats` (a job queue's figures, a runner's), written after the
        /// hub's figures under their keys. Called once per request.
        public var extraStats: (@Sendable () async -> [String: JSONValue])?
        /// The Prometheus text exposition for `/metrics`; without it the route is absent.
        /// Called once per scrape.
        public var metrics: (@Sendable () async -> String)?
        /// Checks the server's components for `/health` and `/health/ready`; without it
        /// `/health` only says the process answers.
        public var health: HealthChecker?
        /// How long an event-stream response may stay silent before the server writes a
        /// `: keep-alive` comment (`streaming.sse_keepalive`); `nil` writes none. Keep it below
        /// the idle timeout of every proxy in front of the server (nginx: 60 s by default).
        public var keepAlive: Duration?
        /// The `retry:` field at the start of every event-stream response: how long a browser
        /// `EventSource` waits before it reconnects; `nil` sends none (browsers then wait about 3 s).
        public var retry: Duration?
        /// The bearer token `/stats` and `/metrics` require (`ADMIN_TOKEN`); `nil` leaves them open.
        public var adminToken: String?
        /// The proxies whose `Forwarded` / `X-Forwarded-For` name the client (`TRUSTED_PROXIES`).
        public var trustedProxies: TrustedProxies

        public init(
            enableSSE: Bool = true,
            maxRequestBodySize: Int = 1 << 20,
            extraStats: (@Sendable () async -> [String: JSONValue])? = nil,
            metrics: (@Sendable () async -> String)? = nil,
            health: HealthChecker? = nil,
            keepAlive: Duration? = .seconds(15),
            retry: Duration? = .seconds(2),
            adminToken: String? = nil,
            trustedProxies: TrustedProxies = TrustedProxies()
        ) {
            self.enableSSE = enableSSE
            self.maxRequestBodySize = maxRequestBodySize
            self.extraStats = extraStats
            self.metrics = metrics
            self.health = health
            self.keepAlive = keepAlive
            self.retry = retry
            self.adminToken = adminToken
            self.trustedProxies = trustedProxies
        }
    }

    /// The content type of `/metrics`: Prometheus' text exposition format 0.0.4.
    public static let metricsContentType = "text/plain; version=0.0.4"

    /// The response header that names the stream an event-stream response carries.
    public static let streamIDHeader = HTTPField.Name("X-Stream-ID")!

    static let lastEventIDHeader = HTTPField.Name("Last-Event-ID")!
    static let accelBufferingHeader = HTTPField.Name("X-Accel-Buffering")!
    static let forwardedHeader = HTTPField.Name("Forwarded")!
    static let forwardedForHeader = HTTPField.Name("X-Forwarded-For")!

    public let hub: ConnectionHub
    public let options: Options

    public init(hub: ConnectionHub, options: Options = Options()) {
        self.hub = hub
        self.options = options
    }

    /// Adds every route to `router`: ``registerStreams(on:)``, ``registerHealth(on:)`` and
    /// ``registerAdmin(on:)``.
    public func register<Context: RequestContext>(on router: some RouterMethods<Context>) {
        registerStreams(on: router)
        registerHealth(on: router)
        registerAdmin(on: router)
    }

    /// Adds the Server-Sent Events routes (unless ``Options/enableSSE`` is off).
    public func registerStreams<Context: RequestContext>(on router: some RouterMethods<Context>) {
        guard options.enableSSE else { return }
        router.post("/v1/agents/:name/stream") { request, context in
            await respond { try await startStream(request, context) }
        }
        router.get("/v1/streams/:id") { request, context in
            await respond { try await followStream(request, context) }
        }
    }

    /// Adds `/health` and `/health/ready`, which are always open.
    public func registerHealth<Context: RequestContext>(on router: some RouterMethods<Context>) {
        router.get("/health") { _, _ in
            guard let health = options.health else { return JSONResponse.response { $0.field("status", "ok") } }
            let report = await health.report()
            return JSONResponse.response(status: report.isHealthy ? .ok : .serviceUnavailable) { writer in
                if case .object(let fields) = report.json {
                    for name in fields.keys.sorted() {
                        writer.key(name)
                        writer.value(fields[name]!)
                    }
                }
            }
        }
        router.get("/health/live") { _, _ in
            JSONResponse.response { $0.field("status", "ok") }
        }
        router.get("/health/ready") { _, _ in
            // A draining server answers 503 at once, so a load balancer stops sending it clients.
            guard hub.isReady else {
                return JSONResponse.response(status: .serviceUnavailable) { $0.field("status", "draining") }
            }
            // A server whose required components fail cannot serve either.
            if let health = options.health {
                let report = await health.report()
                if !report.isHealthy {
                    return JSONResponse.response(status: .serviceUnavailable) { writer in
                        writer.field("status", "failing")
                        writer.key("failing")
                        writer.value(.array(report.failing.map { .string($0) }))
                    }
                }
            }
            return JSONResponse.response { $0.field("status", "ready") }
        }
    }

    /// Adds `/stats` and `/metrics` (when ``Options/metrics`` is set); with
    /// ``Options/adminToken`` they answer 401 `unauthorized` without `Authorization: Bearer TOKEN`.
    public func registerAdmin<Context: RequestContext>(on router: some RouterMethods<Context>) {
        router.get("/stats") { request, _ in
            await respond {
                try checkAdmin(request)
                return await statsResponse()
            }
        }
        if let metrics = options.metrics {
            router.get("/metrics") { request, _ in
                await respond {
                    try checkAdmin(request)
                    var headers = HTTPFields()
                    headers[.contentType] = Self.metricsContentType
                    headers[.cacheControl] = "no-store"
                    return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: await metrics())))
                }
            }
        }
    }

    private func checkAdmin(_ request: Request) throws(HTTPFailure) {
        guard let expected = options.adminToken else { return }
        guard let token = Self.bearerToken(request) else {
            throw HTTPFailure(.unauthorized, "this endpoint needs Authorization: Bearer ADMIN_TOKEN")
        }
        guard Self.constantTimeEqual(token, expected) else {
            throw HTTPFailure(.unauthorized, "the admin token was refused")
        }
    }

    /// Compares without an early exit, so the time taken does not tell how much of a guess was right.
    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        var difference = UInt8(truncatingIfNeeded: left.count ^ right.count)
        for index in 0..<max(left.count, right.count) {
            let a = index < left.count ? left[index] : 0
            let b = index < right.count ? right[index] : 0
            difference |= a ^ b
        }
        return difference == 0
    }

    /// The client's address: the peer's, or the one its trusted proxies forwarded
    /// (``Options/trustedProxies``); `nil` when the context does not know the connection.
    public func clientAddress(_ request: Request, _ context: some RequestContext) -> IPAddress? {
        guard let remote = (context as? any ChannelRequestContext)?.channel.remoteAddress else { return nil }
        return options.trustedProxies.clientAddress(
            peer: IPAddress(remote),
            forwarded: request.headers[values: Self.forwardedHeader],
            forwardedFor: request.headers[values: Self.forwardedForHeader]
        )
    }

    // MARK: Streams

    private func startStream(_ request: Request, _ context: some RequestContext) async throws(HTTPFailure) -> Response {
        let owner = try identity(of: request)
        guard let name = context.parameters.get("name"), !name.isEmpty else {
            throw HTTPFailure(.invalidMessage, "the path must name an agent")
        }
        let body = try await collectBody(request)
        let streamRequest: StreamRequest
        do {
            streamRequest = try StreamRequest(body: body)
        } catch {
            throw HTTPFailure(error)
        }
        let stream: AgentStream
        do {
            stream = try hub.streams.start(
                id: streamRequest.id, agent: name, input: streamRequest.input, owner: owner, transport: "sse")
        } catch {
            throw HTTPFailure(error)
        }
        context.logger.debug(
            "stream started over HTTP",
            metadata: ["stream": "\(stream.id)", "agent": "\(name)", "client_address": "\(clientAddress(request, context).map(\.description) ?? "-")"]
        )
        return eventStream(stream, after: 0, context)
    }

    private func followStream(_ request: Request, _ context: some RequestContext) async throws(HTTPFailure) -> Response {
        let identity = try identity(of: request)
        let id = context.parameters.get("id") ?? ""
        // In a cluster, a stream of another node is found in the shared log.
        let found: AgentStream?
        do {
            found = try await hub.streams.lookup(id)
        } catch {
            throw HTTPFailure(error)
        }
        guard let stream = found else {
            throw HTTPFailure(.notFound, "no stream \"\(id)\"")
        }
        if let owner = stream.owner, owner != identity {
            throw HTTPFailure(.forbidden, "stream \"\(id)\" belongs to another identity", streamID: id)
        }
        let after = try lastEventID(of: request)
        let lastSeq = stream.lastSeq
        // As for `resume`: a seq the stream never sent is a client error, not a wait.
        guard after <= lastSeq else {
            throw HTTPFailure(.invalidMessage, "Last-Event-ID \(after) is past the stream's last frame (\(lastSeq))", streamID: id)
        }
        guard stream.canReplay(after: after) else {
            throw HTTPFailure(.notFound, "frames after \(after) of stream \"\(id)\" are no longer kept", streamID: id, status: .gone)
        }
        context.logger.debug(
            "stream followed over HTTP",
            metadata: ["stream": "\(id)", "after": "\(after)", "client_address": "\(clientAddress(request, context).map(\.description) ?? "-")"]
        )
        return eventStream(stream, after: after, context)
    }

    private func eventStream(_ stream: AgentStream, after seq: Int, _ context: some RequestContext) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        headers[Self.streamIDHeader] = stream.id
        // Proxies such as nginx would otherwise hold events back until a buffer fills.
        headers[Self.accelBufferingHeader] = "no"
        return Response(status: .ok, headers: headers, body: ServerSentEvents.body(
                stream, after: seq, channel: (context as? any ChannelRequestContext)?.channel,
                keepAlive: options.keepAlive, retry: options.retry))
    }

    private func collectBody(_ request: Request) async throws(HTTPFailure) -> [UInt8] {
        do {
            let buffer = try await request.body.collect(upTo: options.maxRequestBodySize)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw HTTPFailure(.tooLarge, "the body is limited to \(options.maxRequestBodySize) bytes")
        } catch {
            throw HTTPFailure(.invalidMessage, "the body could not be read")
        }
    }

    /// The `seq` after which to resume: the `Last-Event-ID` header, else 0 (from the start).
    private func lastEventID(of request: Request) throws(HTTPFailure) -> Int {
        guard let raw = request.headers[Self.lastEventIDHeader] else { return 0 }
        let text = raw.trimmingSpaces()
        if text.isEmpty { return 0 }
        guard let seq = Int(text), seq >= 0 else {
            throw HTTPFailure(.invalidMessage, "Last-Event-ID must be a frame seq (an integer of 0 or more)")
        }
        return seq
    }

    /// The caller's identity when the hub requires authentication; `nil` when it does not.
    private func identity(of request: Request) throws(HTTPFailure) -> String? {
        guard hub.requiresAuthentication else { return nil }
        guard let token = Self.bearerToken(request) ?? request.uri.queryParameters.get("token") else {
            throw HTTPFailure(.unauthorized, "authentication required: send Authorization: Bearer TOKEN")
        }
        guard let identity = hub.identity(forToken: token) else {
            throw HTTPFailure(.unauthorized, "the token was refused")
        }
        return identity
    }

    static func bearerToken(_ request: Request) -> String? {
        guard let value = request.headers[.authorization] else { return nil }
        let prefix = "bearer "
        guard value.count > prefix.count, value.prefix(prefix.count).lowercased() == prefix else { return nil }
        let token = String(value.dropFirst(prefix.count)).trimmingSpaces()
        return token.isEmpty ? nil : token
    }

    // MARK: Stats

    private func statsResponse() async -> Response {
        let hubFields = hub.stats.jsonFields
        let extra = await options.extraStats?() ?? [:]
        return JSONResponse.response { writer in
            for (name, value) in hubFields {
                writer.key(name)
                writer.value(value)
            }
            for name in extra.keys.sorted() {
                writer.key(name)
                writer.value(extra[name]!)
            }
        }
    }
}

/// Runs a handler, answering an ``HTTPFailure`` with its error response.
private func respond(_ body: () async throws -> Response) async -> Response {
    do {
        return try await body()
    } catch let failure as HTTPFailure {
        return failure.response
    } catch {
        return HTTPFailure(.internalError, "the request failed").response
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        guard let first = firstIndex(where: { $0 != " " && $0 != "\t" }),
            let last = lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return String(self[first...last])
    }
}
