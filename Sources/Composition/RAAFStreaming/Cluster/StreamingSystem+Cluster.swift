import Foundation
import StreamingApplication
import StreamingDomain
import StreamingRedis

extension StreamingSystem {
    /// This process as a node of a cluster: a ``RedisBroadcaster`` on the server of `REDIS_URL`
    /// (`background.redisURL`), named by `server.nodeID` or ``defaultNodeID()``; `nil` when no
    /// Redis is configured (a single node, in process).
    ///
    /// - Throws: ``StreamingError/configuration(variable:reason:)`` for a malformed Redis URL.
    public func makeBroadcaster() throws -> (any Broadcaster)? {
        guard let url = configuration.background.redisURL else { return nil }
        return RedisBroadcaster(
            configuration: try RedisConfiguration(url: url),
            nodeID: configuration.server.nodeID ?? Self.defaultNodeID(),
            logger: logger(LogLabel.cluster)
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
