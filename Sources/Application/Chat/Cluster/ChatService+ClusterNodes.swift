#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StreamingDomain

/// Nodes that live and die: this node beats, and reaps the nodes that stopped beating.
extension ChatService {
    /// Beats every ``ChatClusterTiming/heartbeat`` and looks for lost nodes every
    /// ``ChatClusterTiming/reapEvery`` (a child task of ``run()``).
    func beatAndReap(_ cluster: ChatClusterState) async {
        do {
            try await settle(cluster.ledger.restart(), cluster)
        } catch {
            logger.warning(
                "what an earlier process of this node left in the chat cluster was not ended",
                metadata: ["error": "\(error)"])
        }
        // Two loops, so settling what a lost node left never delays this node's own beat.
        await withDiscardingTaskGroup { group in
            group.addTask {
                while !Task.isCancelled {
                    await self.beat(cluster)
                    await self.retryLeaves(cluster)
                    try? await self.stopwatch.sleep(cluster.timing.heartbeat)
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    await self.reap(cluster)
                    try? await self.stopwatch.sleep(cluster.timing.reapEvery)
                }
            }
        }
    }

    private func beat(_ cluster: ChatClusterState) async {
        do {
            if try await !cluster.ledger.heartbeat() {
                // Declared lost while it could not beat (paused, cut off): the others removed
                // this node's members. Close their connections with 1012, so the clients join
                // again (here or elsewhere) rather than stay in rooms that no longer list them.
                let (connections, unlisten) = cluster.local.withLock { local -> ([Connection], [String]) in
                    let members = local.rooms.values.flatMap { $0.members.values.map(\.connection) }
                    let rooms = Array(local.rooms.keys).filter { local.removeAll(from: $0) }
                    return (members, rooms)
                }
                for room in unlisten { cluster.ledger.stopListening(to: room) }
                logger.error(
                    "this node was declared lost by the cluster; its chat members reconnect",
                    metadata: ["members": "\(connections.count)"])
                var unique: [ConnectionID: Connection] = [:]
                for connection in connections { unique[connection.id] = connection }
                for connection in unique.values { hub.closeForRestart(connection) }
            }
        } catch {
            logger.warning("chat heartbeat failed", metadata: ["error": "\(error)"])
        }
    }

    private func reap(_ cluster: ChatClusterState) async {
        do {
            try await settle(cluster.ledger.reap(silentFor: cluster.timing.lostAfter), cluster)
        } catch {
            logger.warning("looking for lost chat nodes failed", metadata: ["error": "\(error)"])
        }
    }

    /// Tells the rooms of a lost node what it took with it, and answers what waits.
    private func settle(_ reaped: [ReapedRoom], _ cluster: ChatClusterState) async throws {
        for room in reaped {
            for member in room.members {
                try await cluster.ledger.publish(
                    ChatFrames.presence(
                        "user_left", room: room.room, clientID: member.clientID, user: member.user),
                    in: room.room, except: member.clientID)
            }
            if let live = room.answer {
                logger.notice(
                    "an answer ended with its node",
                    metadata: ["room": "\(room.room)", "node": "\(live.node)"])
                try await finishInLedger(
                    room.room, live: live, content: live.content, stopped: true,
                    error: ProtocolFailure(
                        .nodeLost, "the node running this answer was lost", streamID: live.stream), cluster)
            }
            if room.answerNow { startClusterAnswers(room.room) }
        }
    }

    /// A draining node leaves the cluster: rooms it answered are handed to the others.
    func leaveClusterForShutdown(_ cluster: ChatClusterState) async {
        do {
            try await cluster.ledger.leaveCluster()
        } catch {
            logger.warning(
                "leaving the chat cluster failed; the others will reap this node",
                metadata: ["error": "\(error)"])
        }
    }
}
