/// Every error the framework reports, typed so callers can react to each case.
///
/// `code` gives the stable string used in protocol `error` frames and logs.
public enum StreamingError: Error, Sendable, Hashable {
    /// The connection to a peer (model server, Redis, WebSocket) failed or dropped.
    case connection(String)
    /// Nothing arrived within the allowed time.
    case timeout(String)
    /// A peer sent something that breaks its protocol.
    case `protocol`(String)
    /// The model provider answered with an error status.
    case provider(status: Int, message: String)
    /// The peer asked us to slow down; `retryAfter` is its hint, when it gave one.
    case rateLimited(retryAfter: Duration?)
    /// The caller passed something the framework cannot accept.
    case invalidInput(String)
    /// A bounded queue is full; the submission was refused, not dropped.
    case queueFull(capacity: Int)
    /// The agent loop used every allowed turn without reaching a final answer.
    case maxTurnsExceeded(maxTurns: Int)
    /// The work was cancelled.
    case cancelled
    /// A configuration value is invalid: `variable` names it, `reason` says what it accepts.
    case configuration(variable: String, reason: String)
    /// Adding another listener to `topic` would pass the configured limit.
    case listenerLimitExceeded(topic: String, limit: Int)
    /// A named thing (agent, task, stream) does not exist.
    case notFound(String)
    /// The peer requires authentication, or refused the credentials it was given.
    case unauthorized(String)
    /// The authenticated identity may not do this (another identity's stream, for example).
    case forbidden(String)
    /// A server refused a request with an error `code` that has no case of its own
    /// (`internal_error`, `shutting_down`, ...); `message` is the server's explanation.
    case server(code: String, message: String)
    /// The component is shutting down and accepts no new work; `detail` names it.
    case shutDown(String)
    /// Every slot of a bounded resource stayed in use for longer than the caller may wait
    /// (all of the model provider's connections, for `provider.queue_timeout`), or a server
    /// refused a request at one of its limits (streams, channels, connections); `detail`
    /// says which. Code `server_busy`: trying again later may succeed.
    case serverBusy(String)

    /// The stable code of this error, as protocol frames and logs carry it.
    public var code: String {
        switch self {
        case .connection: "connection"
        case .timeout: "timeout"
        case .protocol: "protocol"
        case .provider: "provider"
        case .rateLimited: "rate_limited"
        case .invalidInput: "invalid_input"
        case .queueFull: "queue_full"
        case .maxTurnsExceeded: "max_turns_exceeded"
        case .cancelled: "cancelled"
        case .configuration: "configuration"
        case .listenerLimitExceeded: "listener_limit"
        case .notFound: "not_found"
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .server(let code, _): code
        case .shutDown: "shut_down"
        case .serverBusy: "server_busy"
        }
    }

    /// Whether trying the same work again may succeed (connection, timeout, rate limit, 5xx).
    public var isRetryable: Bool {
        switch self {
        case .connection, .timeout, .rateLimited, .serverBusy: true
        case .provider(let status, _): status >= 500
        case .server(let code, _): code == "server_busy"
        default: false
        }
    }
}

extension StreamingError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .connection(let detail): "connection failed: \(detail)"
        case .timeout(let detail): "timed out: \(detail)"
        case .protocol(let detail): "protocol error: \(detail)"
        case .provider(let status, let message): "provider error \(status): \(message)"
        case .rateLimited(let retryAfter):
            if let retryAfter { "rate limited, retry after \(retryAfter)" } else { "rate limited" }
        case .invalidInput(let detail): "invalid input: \(detail)"
        case .queueFull(let capacity): "queue full (capacity \(capacity))"
        case .maxTurnsExceeded(let maxTurns): "no final answer within \(maxTurns) turns"
        case .cancelled: "cancelled"
        case .configuration(let variable, let reason): "invalid configuration \(variable): \(reason)"
        case .listenerLimitExceeded(let topic, let limit): "topic \"\(topic)\" already has \(limit) listeners"
        case .notFound(let what): "not found: \(what)"
        case .unauthorized(let detail): "unauthorized: \(detail)"
        case .forbidden(let detail): "forbidden: \(detail)"
        case .server(let code, let message): "server error \(code): \(message)"
        case .shutDown(let detail): "shut down: \(detail)"
        case .serverBusy(let detail): "server busy: \(detail)"
        }
    }
}
