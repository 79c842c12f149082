/// What makes an ``AgentStreamService`` one node of a cluster: the shared log of streams and
/// this node's name in it.
public struct StreamCluster: Sendable {
    /// The log every node appends to and reads from.
    public let log: any StreamLog
    /// This node's name, unique in the cluster (the lease holder's name).
    public let nodeID: String
    /// The most frames a running stream holds here while the log cannot be written; past
    /// it the stream ends with `cluster_unavailable`.
    public let maxPendingFrames: Int

    public init(log: any StreamLog, nodeID: String, maxPendingFrames: Int = 10_000) {
        self.log = log
        self.nodeID = nodeID
        self.maxPendingFrames = max(1, maxPendingFrames)
    }
}
