import CoreMetrics
import Prometheus
import StreamingApplication
import Synchronization

/// The metrics of a cluster node (``BroadcasterStats``, ``StreamLogStats``), made at the
/// first scrape of a node with `REDIS_URL`, so a single node shows none.
///
/// | metric | type |
/// | --- | --- |
/// | `raaf_cluster_redis_connected` (1 or 0), `raaf_cluster_subscriptions`, `raaf_cluster_pending` (publishes queued for Redis) | gauge |
/// | `raaf_cluster_published_total`, `_relayed_total` (frames from other nodes), `_dropped_total`, `_disconnects_total` | counter |
/// | `raaf_cluster_log_appends_total` (round trips), `_log_frames_total`, `_log_append_failures_total` | counter |
/// | `raaf_cluster_log_append_seconds_total` (the time `_log_appends_total` took) | counter |
///
/// The mean append latency of a period is the ratio of the rates of
/// `raaf_cluster_log_append_seconds_total` and `raaf_cluster_log_appends_total`.
final class ClusterMetrics: Sendable {
    let connected: CoreMetrics.Gauge
    let subscriptions: CoreMetrics.Gauge
    let pending: CoreMetrics.Gauge
    let appendSeconds: CoreMetrics.FloatingPointCounter
    /// The append seconds total at the last update, so each scrape adds only what grew.
    private let reportedAppendTime = Mutex<Duration>(.zero)

    init(factory: PrometheusMetricsFactory) {
        connected = CoreMetrics.Gauge(label: "raaf_cluster_redis_connected", factory: factory)
        subscriptions = CoreMetrics.Gauge(label: "raaf_cluster_subscriptions", factory: factory)
        pending = CoreMetrics.Gauge(label: "raaf_cluster_pending", factory: factory)
        appendSeconds = CoreMetrics.FloatingPointCounter(label: "raaf_cluster_log_append_seconds_total", factory: factory)
    }

    /// The totals, for ``StreamingMetrics``'s counters.
    static func totals(_ cluster: BroadcasterStats, log: StreamLogStats?) -> [String: Int] {
        var totals = [
            "raaf_cluster_published_total": cluster.published,
            "raaf_cluster_relayed_total": cluster.relayed,
            "raaf_cluster_dropped_total": cluster.dropped,
            "raaf_cluster_disconnects_total": cluster.disconnects,
        ]
        if let log {
            totals["raaf_cluster_log_appends_total"] = log.appends
            totals["raaf_cluster_log_frames_total"] = log.frames
            totals["raaf_cluster_log_append_failures_total"] = log.failures
        }
        return totals
    }

    func record(_ cluster: BroadcasterStats, log: StreamLogStats?) {
        connected.record(cluster.connected ? 1 : 0)
        subscriptions.record(cluster.subscriptions)
        pending.record(cluster.pending)
        guard let log else { return }
        let growth = reportedAppendTime.withLock { reported in
            let growth = log.totalLatency - reported
            reported = max(reported, log.totalLatency)
            return growth
        }
        if growth > .zero { appendSeconds.increment(by: growth.timeInterval) }
    }
}
