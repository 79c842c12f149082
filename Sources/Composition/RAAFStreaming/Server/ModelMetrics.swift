import CoreMetrics
import Prometheus
import StreamingApplication
import Synchronization

/// The metrics of the model provider's requests (``ModelRequestStats``), made at the first
/// scrape whose provider reports figures, so a server on the offline model shows none.
///
/// | metric | type |
/// | --- | --- |
/// | `raaf_model_max_connections`, `raaf_model_requests_in_flight`, `raaf_model_requests_waiting`, `raaf_model_oldest_wait_seconds` | gauge |
/// | `raaf_model_requests_started_total`, `_waited_total`, `raaf_model_queue_timeouts_total`, `raaf_model_cancelled_while_waiting_total`, `raaf_model_first_tokens_total` | counter |
/// | `raaf_model_queue_wait_seconds_total` (the waits of `_waited_total`), `raaf_model_time_to_first_token_seconds_total` (of `_first_tokens_total`) | counter |
///
/// A mean is the ratio of two counters' rates, as for a Prometheus summary's `_sum` and `_count`.
final class ModelMetrics: Sendable {
    let maxConnections: CoreMetrics.Gauge
    let inFlight: CoreMetrics.Gauge
    let waiting: CoreMetrics.Gauge
    let oldestWait: CoreMetrics.Gauge
    let waitSeconds: CoreMetrics.FloatingPointCounter
    let firstTokenSeconds: CoreMetrics.FloatingPointCounter
    /// The seconds totals at the last update, so each scrape adds only what grew.
    private let reported = Mutex<(wait: Duration, firstToken: Duration)>((.zero, .zero))

    init(factory: PrometheusMetricsFactory) {
        maxConnections = CoreMetrics.Gauge(label: "raaf_model_max_connections", factory: factory)
        inFlight = CoreMetrics.Gauge(label: "raaf_model_requests_in_flight", factory: factory)
        waiting = CoreMetrics.Gauge(label: "raaf_model_requests_waiting", factory: factory)
        oldestWait = CoreMetrics.Gauge(label: "raaf_model_oldest_wait_seconds", factory: factory)
        waitSeconds = CoreMetrics.FloatingPointCounter(label: "raaf_model_queue_wait_seconds_total", factory: factory)
        firstTokenSeconds = CoreMetrics.FloatingPointCounter(
            label: "raaf_model_time_to_first_token_seconds_total", factory: factory)
    }

    /// The integer totals, for ``StreamingMetrics``'s counters.
    static func totals(_ stats: ModelRequestStats) -> [String: Int] {
        [
            "raaf_model_requests_started_total": stats.started,
            "raaf_model_requests_waited_total": stats.waited,
            "raaf_model_queue_timeouts_total": stats.queueTimeouts,
            "raaf_model_cancelled_while_waiting_total": stats.cancelledWhileWaiting,
            "raaf_model_first_tokens_total": stats.firstTokens,
        ]
    }

    func record(_ stats: ModelRequestStats) {
        maxConnections.record(stats.maxConcurrent)
        inFlight.record(stats.inFlight)
        waiting.record(stats.waiting)
        oldestWait.record(stats.oldestWait.timeInterval)
        let growth = reported.withLock { reported in
            let growth = (stats.totalWait - reported.wait, stats.totalTimeToFirstToken - reported.firstToken)
            reported = (max(reported.wait, stats.totalWait), max(reported.firstToken, stats.totalTimeToFirstToken))
            return growth
        }
        if growth.0 > .zero { waitSeconds.increment(by: growth.0.timeInterval) }
        if growth.1 > .zero { firstTokenSeconds.increment(by: growth.1.timeInterval) }
    }

    /// The `model` section of `/stats`.
    static func statsSection(_ stats: ModelRequestStats) -> JSONValue {
        [
            "max_connections": .int(stats.maxConcurrent),
            "in_flight": .int(stats.inFlight),
            "waiting": .int(stats.waiting),
            "oldest_wait_seconds": .double(stats.oldestWait.timeInterval),
            "started": .int(stats.started),
            "waited": .int(stats.waited),
            "average_wait_seconds": .double(stats.averageWait.timeInterval),
            "longest_wait_seconds": .double(stats.longestWait.timeInterval),
            "queue_timeouts": .int(stats.queueTimeouts),
            "cancelled_while_waiting": .int(stats.cancelledWhileWaiting),
            "first_tokens": .int(stats.firstTokens),
            "average_time_to_first_token_seconds": .double(stats.averageTimeToFirstToken.timeInterval),
        ]
    }
}
