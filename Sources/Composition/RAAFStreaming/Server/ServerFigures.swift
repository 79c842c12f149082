import Logging
import StreamingApplication
import StreamingDomain

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Gathers what `/stats` and `/metrics` report beyond the hub: the agent streams' totals
/// and, when the server has them, the job queue's and the background processor's figures and
/// the model provider's requests (in flight, waiting, time to first token).
struct ServerFigures: Sendable {
    let hub: ConnectionHub
    let chat: ChatService?
    let metrics: StreamingMetrics
    let jobQueue: (any JobQueue)?
    let processor: BackgroundProcessor?
    /// The model provider, whose request figures (when it counts them) are the `model` section.
    let provider: any ModelProvider
    let logger: Logger
    /// The system's own sections (`event_bus`, `async_runner`).
    let systemSections: @Sendable () -> [String: JSONValue]

    /// The sections `/stats` adds after the hub's figures: `streams`, `chat`, `model` when the
    /// provider counts its requests, `jobs` and `background` when there is a queue or a
    /// processor, then the system's `event_bus` and `async_runner`.
    func statsSections() async -> [String: JSONValue] {
        let streams = hub.streams.stats
        var sections: [String: JSONValue] = systemSections()
        sections.merge([
            "streams": [
                "active": .int(streams.active),
                "retained": .int(streams.retained),
                "started": .int(streams.started),
                "completed": .int(streams.completed),
                "failed": .int(streams.failed),
                "cancelled": .int(streams.cancelled),
            ]
        ]) { _, new in new }
        if let chat { sections["chat"] = Self.chatSection(await chat.currentStats()) }
        if let broadcaster = hub.broadcaster {
            sections["cluster"] = Self.clusterSection(broadcaster, log: hub.streams.cluster?.counters.stats)
        }
        if let model = provider.requestStats { sections["model"] = ModelMetrics.statsSection(model) }
        let (queue, processor) = await jobFigures()
        if let queue {
            sections["jobs"] = [
                "high_priority_queue": .int(queue.waiting[.high, default: 0]),
                "normal_priority_queue": .int(queue.waiting[.normal, default: 0]),
                "low_priority_queue": .int(queue.waiting[.low, default: 0]),
                "scheduled_jobs": .int(queue.scheduled),
                "processing": .int(queue.processing),
                "failed_jobs": .int(queue.dead),
                "completed_jobs": .int(queue.completed),
                "oldest_waiting_seconds": .double(queue.oldestWaitingAge),
            ]
        }
        if let processor {
            sections["background"] = [
                "running": .bool(processor.running),
                "workers": .int(processor.workers),
                "active": .int(processor.active),
                "processed": .int(processor.processed),
            ]
        }
        return sections
    }

    /// This node's view of the cluster: its id, its Redis connection, the channels it
    /// receives, and the frames it published, relayed from other nodes, or could not write.
    static func clusterSection(_ broadcaster: any Broadcaster, log: StreamLogStats?) -> JSONValue {
        let stats = broadcaster.stats
        var section: [String: JSONValue] = [
            "node_id": .string(broadcaster.nodeID),
            "redis_connected": .bool(stats.connected),
            "subscriptions": .int(stats.subscriptions),
            "published": .int(stats.published),
            "pending": .int(stats.pending),
            "relayed": .int(stats.relayed),
            "dropped": .int(stats.dropped),
            "disconnects": .int(stats.disconnects),
        ]
        if let log {
            section["log_appends"] = .int(log.appends)
            section["log_frames"] = .int(log.frames)
            section["log_append_failures"] = .int(log.failures)
            section["log_append_average_ms"] = .double(log.averageLatency.timeInterval * 1000)
            section["log_append_max_ms"] = .double(log.maxLatency.timeInterval * 1000)
        }
        return .object(section)
    }

    /// The chat figures with the Ruby gem's field names.
    static func chatSection(_ stats: ChatStats) -> JSONValue {
        var section: JSONValue = [
            "connected_clients": .int(stats.connectedClients),
            "active_sessions": .int(stats.activeSessions),
            "active_streams": .int(stats.activeStreams),
            "available_agents": .array(stats.availableAgents.map { .string($0) }),
            "total_messages": .int(stats.totalMessages),
            "pending_writes": .int(stats.pendingWrites),
            "failed_writes": .int(stats.failedWrites),
            "rooms": .array(
                stats.rooms.map { room in
                    ["name": .string(room.name), "participants": .int(room.participants), "messages": .int(room.messages)]
                }
            ),
        ]
        if let node = stats.node, case .object(var fields) = section {
            // A node of a cluster: rooms, sessions, streams and messages are the cluster's.
            fields["node"] = .string(node)
            fields["per_node"] = .array(ChatStats.perNodeFields.map { .string($0) })
            section = .object(fields)
        }
        return section
    }

    /// The Prometheus text of every metric, brought up to date first.
    func metricsText() async -> String {
        let (queue, processor) = await jobFigures()
        metrics.update(
            hub: hub.stats, streams: hub.streams.stats, jobs: queue, processor: processor, model: provider.requestStats,
            log: hub.streams.cluster?.counters.stats)
        return metrics.exposition()
    }

    /// The queue's and the processor's figures; `nil` for a part the server lacks or that
    /// cannot answer now (a Redis server that is down): the rest of the report still goes out.
    private func jobFigures() async -> (JobQueueStats?, BackgroundProcessorStats?) {
        let queue = processor?.queue ?? jobQueue
        var queueStats: JobQueueStats?
        var processorStats: BackgroundProcessorStats?
        do {
            queueStats = try await queue?.stats(now: Date())
            processorStats = try await processor?.stats()
        } catch {
            logger.warning("job figures are unavailable", metadata: ["error": "\(error)"])
        }
        return (queueStats, processorStats)
    }
}
