import Foundation
import StreamingApplication
import StreamingDomain
import StreamingRedis

extension StreamingSystem {
    /// This process as a node of a cluster on the Redis server of `REDIS_URL`
    /// (`background.redisURL`), named by `server.nodeID` or ``defaultNodeID()``: its
    /// broadcaster (channels), its view of the shared stream log and the chat ledger. `nil` when no Redis is
    /// configured (a single node, in process).
    ///
    /// - Throws: ``StreamingError/configuration(variable:reason:)`` for a malformed Redis URL.
    public func makeClusterNode() throws -> ClusterNode? {
        guard let url = configuration.background.redisURL else { return nil }
        let redis = try RedisConfiguration(url: url)
        let nodeID = configuration.server.nodeID ?? Self.defaultNodeID()
        let logger = logger(LogLabel.cluster)
        let streaming = configuration.streaming
        return ClusterNode(
            nodeID: nodeID,
            broadcaster: RedisBroadcaster(configuration: redis, nodeID: nodeID, logger: logger),
            streamLog: RedisStreamLog(
                configuration: redis,
                options: StreamLogOptions(
                    retention: streaming.replayRetention, maxFrames: streaming.replayBufferFrames),
                connections: configuration.background.redisPoolSize,
                logger: logger),
            chatLedger: try RedisChatLedger(
                configuration: redis, nodeID: nodeID, connections: configuration.background.redisPoolSize,
                logger: logger)
        )
    }

    /// A node id for this process: host name, process id and a random suffix
    /// (`web-1-4242-k3x9q`), so two processes on one host, or one restarted, never share one.
    public static func defaultNodeID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "node"
        let allowed = host.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
        let name = allowed.isEmpty ? "node" : String(String.UnicodeScalarView(allowed.prefix(40)))
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        return "\(name)-\(ProcessInfo.processInfo.processIdentifier)-\(suffix)"
    }
}

/// One node of a cluster: its name, the broadcaster that carries channels between nodes, and
/// the shared log of agent streams. ``StreamingSystem/makeClusterNode()`` makes one from
/// `REDIS_URL`; ``RealtimeServer`` runs it.
public struct ClusterNode: Sendable {
    public let nodeID: String
    public let broadcaster: any Broadcaster
    public let streamLog: RedisStreamLog
    /// Where the cluster's chat rooms are decided.
    public let chatLedger: RedisChatLedger

    /// Closes the node's Redis connections.
    public func close() async {
        await streamLog.close()
        await chatLedger.close()
    }

    /// The agent streams' view of the cluster (one, with its counters).
    public let streams: StreamCluster

    init(nodeID: String, broadcaster: any Broadcaster, streamLog: RedisStreamLog, chatLedger: RedisChatLedger) {
        self.nodeID = nodeID
        self.broadcaster = broadcaster
        self.streamLog = streamLog
        self.chatLedger = chatLedger
        streams = StreamCluster(log: streamLog, nodeID: nodeID)
    }
}
