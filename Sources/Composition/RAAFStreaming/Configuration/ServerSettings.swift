/// Settings of `serve`'s process as a whole (`server.*`).
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

    /// This node's name in a cluster (when `REDIS_URL` is set): `RAAF_NODE_ID`, setting
    /// `server.node_id`; letters, digits, `.`, `_`, `-` and `:`, at most 64. `nil` (the default)
    /// names it by host name, process id and a random suffix (``StreamingSystem/nodeID``).
    public var nodeID: String?

    /// Creates server settings; the grace defaults to 30 s.
    public init(shutdownGrace: Duration = .seconds(30), nodeID: String? = nil) {
        self.shutdownGrace = shutdownGrace
        self.nodeID = nodeID
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
