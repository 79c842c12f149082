/// Settings of `serve`'s process as a whole (`server.*`): the shutdown grace, the operators'
/// endpoints, the reverse proxies in front of it.
///
/// Its description never shows the admin token: `adminToken: [redacted]`.
public struct ServerSettings: Sendable, Equatable {
    /// How long a shutdown (SIGTERM, SIGINT) drains before it stops what still runs;
    /// `SHUTDOWN_GRACE` (seconds, `30`, `2.5`, `0`), setting `server.shutdown_grace`. Default
    /// 30 s, Kubernetes' default `terminationGracePeriodSeconds`: set that a few seconds
    /// above this grace, so the process ends on its own before the kubelet kills it.
    ///
    /// During the drain the server refuses new connections (503) and new streams
    /// (`shutting_down`), `/health/ready` answers 503, idle WebSocket connections are closed
    /// with 1012, and every running stream and chat answer goes on to its end; those still
    /// running when the grace runs out (or at a second signal) end with a final `error`
    /// frame coded `shutting_down`. `raaf-streaming worker` gives its running jobs the same
    /// grace before handing them back to the queue.
    public var shutdownGrace: Duration
    /// The bearer token `/stats` and `/metrics` require (`Authorization: Bearer TOKEN`; 401
    /// without); `ADMIN_TOKEN`, setting `server.admin_token`. Default `nil`: they answer anyone.
    /// `/health` and `/health/ready` stay open for probes. A secret: never described or logged.
    public var adminToken: String?
    /// A port of their own for `/stats`, `/metrics` and the health probes, on the same bind
    /// address; the main port then no longer serves `/stats` and `/metrics`. `ADMIN_PORT`,
    /// setting `server.admin_port`. Default `nil`: everything on the main port.
    public var adminPort: Int?
    /// The reverse proxies (addresses or CIDR ranges, such as `10.0.0.0/8` or `::1`) whose
    /// `Forwarded` / `X-Forwarded-For` headers name the client, for logs and the `connected`
    /// frame. `TRUSTED_PROXIES` (comma-separated), setting `server.trusted_proxies`. Default
    /// empty: the peer of the connection is the client, and those headers are ignored.
    public var trustedProxies: [String]

    /// This node's name in a cluster (when `REDIS_URL` is set): `RAAF_NODE_ID`, setting
    /// `server.node_id`; letters, digits, `.`, `_`, `-` and `:`, at most 64. `nil` (the default)
    /// names it by host name, process id and a random suffix (``StreamingSystem/nodeID``).
    public var nodeID: String?

    /// Creates server settings; the grace defaults to 30 s, the rest to off.
    public init(
        shutdownGrace: Duration = .seconds(30),
        nodeID: String? = nil,
        adminToken: String? = nil,
        adminPort: Int? = nil,
        trustedProxies: [String] = []
    ) {
        self.shutdownGrace = shutdownGrace
        self.nodeID = nodeID
        self.adminToken = adminToken
        self.adminPort = adminPort
        self.trustedProxies = trustedProxies
    }

    static let nodeIDExpectation = "a name of letters, digits, '.', '_', '-' or ':', at most 64 characters"

    /// `text` if it is a valid node id.
    static func nodeID(_ text: String) -> String? {
        guard !text.isEmpty, text.utf8.count <= 64 else { return nil }
        let allowed = text.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-:".unicodeScalars.contains(scalar))
        }
        return allowed ? text : nil
    }
}

extension ServerSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The settings with the admin token shown as `[redacted]`.
    public var description: String {
        "ServerSettings(shutdownGrace: \(shutdownGrace), nodeID: \(nodeID.map { "\"\($0)\"" } ?? "nil"), adminToken: \(maskedToken), "
            + "adminPort: \(adminPort.map(String.init) ?? "nil"), trustedProxies: \(trustedProxies))"
    }

    /// The same text as ``description``: the token is redacted here too.
    public var debugDescription: String { description }

    /// A mirror whose `adminToken` child hides the token, so `dump` does not print it.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "shutdownGrace": shutdownGrace,
                "nodeID": nodeID as Any,
                "adminToken": maskedToken,
                "adminPort": adminPort as Any,
                "trustedProxies": trustedProxies,
            ],
            displayStyle: .struct
        )
    }

    private var maskedToken: String { adminToken == nil ? "nil" : URLCredentials.mask }
}
