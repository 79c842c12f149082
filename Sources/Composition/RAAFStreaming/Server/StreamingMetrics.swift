import CoreMetrics
import Metrics
import Prometheus
import StreamingApplication
import StreamingDomain
import Synchronization

/// The server's figures as Prometheus metrics, for `GET /metrics`.
///
/// The metrics are swift-metrics `Gauge`s and `Counter`s made by a `PrometheusMetricsFactory`
/// passed explicitly, never through `MetricsSystem.bootstrap`: the global factory can be set
/// once per process, and each server (each test) keeps its own registry.
///
/// The figures are read from the hub, the stream service and the job queue when a scrape
/// comes in (``update(hub:streams:jobs:processor:)``), so nothing is counted twice on the hot
/// path. Totals are counters: each scrape adds what grew since the last one.
///
/// | metric | type | from |
/// | --- | --- | --- |
/// | `raaf_websocket_connections`, `_channels`, `_subscriptions` | gauge | the hub |
/// | `raaf_websocket_frames_in_total`, `_frames_out_total`, `_dropped_total`, `_accepted_total`, `_refused_total` | counter | the hub |
/// | `raaf_streams_active`, `raaf_streams_retained` | gauge | the stream service |
/// | `raaf_streams_started_total`, `_completed_total`, `_failed_total`, `_cancelled_total` | counter | the stream service |
/// | `raaf_jobs_waiting{priority}`, `raaf_jobs_scheduled`, `_processing`, `_dead`, `raaf_jobs_oldest_waiting_seconds` | gauge | the job queue |
/// | `raaf_jobs_completed_total` | counter | the job queue |
/// | `raaf_background_workers`, `raaf_background_active` | gauge | the background processor |
/// | `raaf_background_processed_total` | counter | the background processor |
/// | `raaf_model_*` (requests in flight, waiting, their waits, time to first token; ``ModelMetrics``) | gauge, counter | the model provider |
/// | `raaf_cluster_*` (Redis connection, subscriptions, frames published and relayed, stream log appends and their latency; ``ClusterMetrics``) | gauge, counter | a cluster node |
public final class StreamingMetrics: Sendable {
    /// The registry the metrics live in; add your own metrics to it to serve them on `/metrics` too.
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    let connections: CoreMetrics.Gauge
    let channels: CoreMetrics.Gauge
    let subscriptions: CoreMetrics.Gauge
    let streamsActive: CoreMetrics.Gauge
    let streamsRetained: CoreMetrics.Gauge
    /// Each counter's total at the last update, and the counter; a counter is made the first
    /// time its total is given, so a server without a job queue shows no job series.
    let counters: Mutex<[String: (total: Int, counter: CoreMetrics.Counter)]>

    /// The job metrics, made at the first scrape that has job figures, so a server without a
    /// queue exposes none.
    let jobMetrics: Mutex<JobMetrics?>

    /// The model provider's metrics, made at the first scrape that has its figures.
    let modelMetrics: Mutex<ModelMetrics?>

    /// A cluster node's metrics, made at the first scrape of a node.
    let clusterMetrics: Mutex<ClusterMetrics?>

    /// Creates the metrics in `registry`.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        let factory = PrometheusMetricsFactory(registry: registry)
        self.factory = factory
        connections = CoreMetrics.Gauge(label: "raaf_websocket_connections", factory: factory)
        channels = CoreMetrics.Gauge(label: "raaf_websocket_channels", factory: factory)
        subscriptions = CoreMetrics.Gauge(label: "raaf_websocket_subscriptions", factory: factory)
        streamsActive = CoreMetrics.Gauge(label: "raaf_streams_active", factory: factory)
        streamsRetained = CoreMetrics.Gauge(label: "raaf_streams_retained", factory: factory)
        counters = Mutex([:])
        jobMetrics = Mutex(nil)
        modelMetrics = Mutex(nil)
        clusterMetrics = Mutex(nil)
    }

    /// Sets every metric from the current figures.
    /// - Parameters:
    ///   - jobs: The job queue's figures, when the server has a queue.
    ///   - processor: The background processor's figures, when it has one.
    ///   - model: The model provider's request figures, when it reports them.
    ///   - log: A cluster node's stream log appends (its channels are in `hub.cluster`).
    public func update(
        hub: ConnectionHubStats,
        streams: AgentStreamStats,
        jobs: JobQueueStats? = nil,
        processor: BackgroundProcessorStats? = nil,
        model: ModelRequestStats? = nil,
        log: StreamLogStats? = nil
    ) {
        connections.record(hub.connections)
        channels.record(hub.channels)
        subscriptions.record(hub.subscriptions)
        streamsActive.record(streams.active)
        streamsRetained.record(streams.retained)
        var current: [String: Int] = [
            "raaf_websocket_frames_in_total": hub.framesIn,
            "raaf_websocket_frames_out_total": hub.framesOut,
            "raaf_websocket_dropped_total": hub.dropped,
            "raaf_websocket_accepted_total": hub.accepted,
            "raaf_websocket_refused_total": hub.refused,
            "raaf_streams_started_total": streams.started,
            "raaf_streams_completed_total": streams.completed,
            "raaf_streams_failed_total": streams.failed,
            "raaf_streams_cancelled_total": streams.cancelled,
        ]
        if let jobs {
            current["raaf_jobs_completed_total"] = jobs.completed
            self.jobs.record(jobs)
        }
        if let processor {
            current["raaf_background_processed_total"] = processor.processed
            self.jobs.record(processor)
        }
        if let model {
            current.merge(ModelMetrics.totals(model)) { _, new in new }
            made(modelMetrics, by: ModelMetrics.init).record(model)
        }
        if let cluster = hub.cluster {
            current.merge(ClusterMetrics.totals(cluster, log: log)) { _, new in new }
            made(clusterMetrics, by: ClusterMetrics.init).record(cluster, log: log)
        }
        advance(to: current)
    }

    /// The Prometheus text exposition (format 0.0.4) of every metric in ``registry``.
    public func exposition() -> String {
        registry.emitToString()
    }

    /// Adds to each counter what its total grew by since the last update. Concurrent scrapes
    /// compute their increments under one lock, so growth is never added twice; a total that
    /// went down (a queue that was reset) adds nothing.
    private func advance(to current: [String: Int]) {
        let increments = counters.withLock { counters -> [(CoreMetrics.Counter, Int)] in
            var increments: [(CoreMetrics.Counter, Int)] = []
            for (name, value) in current {
                let entry = counters[name] ?? (0, CoreMetrics.Counter(label: name, factory: factory))
                if value > entry.total {
                    increments.append((entry.counter, value - entry.total))
                    counters[name] = (value, entry.counter)
                } else {
                    counters[name] = entry
                }
            }
            return increments
        }
        for (counter, amount) in increments { counter.increment(by: amount) }
    }

    private var jobs: JobMetrics { made(jobMetrics, by: JobMetrics.init) }

    /// The metrics in `slot`, made in ``registry`` by `make` the first time they are asked for.
    private func made<Metrics: Sendable>(
        _ slot: borrowing Mutex<Metrics?>, by make: (PrometheusMetricsFactory) -> Metrics
    ) -> Metrics {
        slot.withLock { metrics in
            if let metrics { return metrics }
            let made = make(factory)
            metrics = made
            return made
        }
    }
}

/// The gauges of a job queue and its processor.
struct JobMetrics: Sendable {
    let waiting: [JobPriority: CoreMetrics.Gauge]
    let scheduled: CoreMetrics.Gauge
    let processing: CoreMetrics.Gauge
    let dead: CoreMetrics.Gauge
    let oldestWaiting: CoreMetrics.Gauge
    let workers: CoreMetrics.Gauge
    let active: CoreMetrics.Gauge

    init(factory: PrometheusMetricsFactory) {
        var waiting: [JobPriority: CoreMetrics.Gauge] = [:]
        for priority in JobPriority.allCases {
            waiting[priority] = CoreMetrics.Gauge(
                label: "raaf_jobs_waiting", dimensions: [("priority", priority.rawValue)], factory: factory)
        }
        self.waiting = waiting
        scheduled = CoreMetrics.Gauge(label: "raaf_jobs_scheduled", factory: factory)
        processing = CoreMetrics.Gauge(label: "raaf_jobs_processing", factory: factory)
        dead = CoreMetrics.Gauge(label: "raaf_jobs_dead", factory: factory)
        oldestWaiting = CoreMetrics.Gauge(label: "raaf_jobs_oldest_waiting_seconds", factory: factory)
        workers = CoreMetrics.Gauge(label: "raaf_background_workers", factory: factory)
        active = CoreMetrics.Gauge(label: "raaf_background_active", factory: factory)
    }

    func record(_ stats: JobQueueStats) {
        for (priority, gauge) in waiting { gauge.record(stats.waiting[priority, default: 0]) }
        scheduled.record(stats.scheduled)
        processing.record(stats.processing)
        dead.record(stats.dead)
        oldestWaiting.record(stats.oldestWaitingAge)
    }

    func record(_ stats: BackgroundProcessorStats) {
        workers.record(stats.workers)
        active.record(stats.active)
    }
}
