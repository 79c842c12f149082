import Testing

@testable import RAAFStreaming
@testable import StreamingApplication

/// `StreamingMetrics`: swift-metrics over a Prometheus registry of its own, set from stats at scrape time.
@Suite("Streaming metrics")
struct StreamingMetricsTests {
    static func hub(framesIn: Int = 0, connections: Int = 0) -> ConnectionHubStats {
        ConnectionHubStats(
            connections: connections, channels: 2, subscriptions: 3, activeStreams: 1, retainedStreams: 4,
            framesIn: framesIn, framesOut: 10, dropped: 0, accepted: 5, refused: 1)
    }

    static let streams = AgentStreamStats(active: 1, retained: 4, started: 6, completed: 4, failed: 1, cancelled: 0)

    func line(_ metrics: StreamingMetrics, _ series: String) -> String? {
        metrics.exposition().split(separator: "\n").first { $0.hasPrefix(series + " ") }.map(String.init)
    }

    @Test("gauges follow the figures; counters add only what grew")
    func updates() {
        let metrics = StreamingMetrics()
        metrics.update(hub: Self.hub(framesIn: 5, connections: 3), streams: Self.streams)
        #expect(line(metrics, "raaf_websocket_connections") == "raaf_websocket_connections 3.0")
        #expect(line(metrics, "raaf_websocket_frames_in_total") == "raaf_websocket_frames_in_total 5")
        #expect(line(metrics, "raaf_streams_started_total") == "raaf_streams_started_total 6")

        metrics.update(hub: Self.hub(framesIn: 9, connections: 1), streams: Self.streams)
        #expect(line(metrics, "raaf_websocket_connections") == "raaf_websocket_connections 1.0")
        #expect(line(metrics, "raaf_websocket_frames_in_total") == "raaf_websocket_frames_in_total 9")
        #expect(line(metrics, "raaf_streams_started_total") == "raaf_streams_started_total 6")

        // A total that went down (a reset source) never makes a counter go back.
        metrics.update(hub: Self.hub(framesIn: 2), streams: Self.streams)
        #expect(line(metrics, "raaf_websocket_frames_in_total") == "raaf_websocket_frames_in_total 9")
    }

    @Test("job series appear only once job figures are given")
    func jobs() {
        let metrics = StreamingMetrics()
        metrics.update(hub: Self.hub(), streams: Self.streams)
        #expect(!metrics.exposition().contains("raaf_jobs_"))
        metrics.update(
            hub: Self.hub(), streams: Self.streams,
            jobs: JobQueueStats(waiting: [.high: 2], scheduled: 1, processing: 3, dead: 4, completed: 5, oldestWaitingAge: 1.5))
        #expect(line(metrics, #"raaf_jobs_waiting{priority="high"}"#) == #"raaf_jobs_waiting{priority="high"} 2.0"#)
        #expect(line(metrics, #"raaf_jobs_waiting{priority="low"}"#) == #"raaf_jobs_waiting{priority="low"} 0.0"#)
        #expect(line(metrics, "raaf_jobs_dead") == "raaf_jobs_dead 4.0")
        #expect(line(metrics, "raaf_jobs_completed_total") == "raaf_jobs_completed_total 5")
        #expect(line(metrics, "raaf_jobs_oldest_waiting_seconds") == "raaf_jobs_oldest_waiting_seconds 1.5")
    }

    @Test("model request series appear once the provider reports figures; seconds totals grow by what was added")
    func modelRequests() {
        let metrics = StreamingMetrics()
        metrics.update(hub: Self.hub(), streams: Self.streams)
        #expect(!metrics.exposition().contains("raaf_model_"))
        var model = ModelRequestStats(
            maxConcurrent: 4, inFlight: 4, waiting: 2, oldestWait: .milliseconds(1500), started: 10, waited: 3,
            totalWait: .milliseconds(750), queueTimeouts: 1, cancelledWhileWaiting: 2, firstTokens: 8,
            totalTimeToFirstToken: .seconds(2))
        metrics.update(hub: Self.hub(), streams: Self.streams, model: model)
        #expect(line(metrics, "raaf_model_max_connections") == "raaf_model_max_connections 4.0")
        #expect(line(metrics, "raaf_model_requests_in_flight") == "raaf_model_requests_in_flight 4.0")
        #expect(line(metrics, "raaf_model_requests_waiting") == "raaf_model_requests_waiting 2.0")
        #expect(line(metrics, "raaf_model_oldest_wait_seconds") == "raaf_model_oldest_wait_seconds 1.5")
        #expect(line(metrics, "raaf_model_requests_started_total") == "raaf_model_requests_started_total 10")
        #expect(line(metrics, "raaf_model_queue_timeouts_total") == "raaf_model_queue_timeouts_total 1")
        #expect(line(metrics, "raaf_model_cancelled_while_waiting_total") == "raaf_model_cancelled_while_waiting_total 2")
        #expect(line(metrics, "raaf_model_queue_wait_seconds_total") == "raaf_model_queue_wait_seconds_total 0.75")
        #expect(line(metrics, "raaf_model_time_to_first_token_seconds_total") == "raaf_model_time_to_first_token_seconds_total 2.0")

        model.inFlight = 1
        model.totalWait = .seconds(1)
        model.firstTokens = 9
        metrics.update(hub: Self.hub(), streams: Self.streams, model: model)
        #expect(line(metrics, "raaf_model_requests_in_flight") == "raaf_model_requests_in_flight 1.0")
        #expect(line(metrics, "raaf_model_queue_wait_seconds_total") == "raaf_model_queue_wait_seconds_total 1.0")
        #expect(line(metrics, "raaf_model_first_tokens_total") == "raaf_model_first_tokens_total 9")
    }

    @Test("a cluster node's append time is a seconds counter that grows by what was added, beside the appends it took")
    func clusterLogAppends() {
        let metrics = StreamingMetrics()
        var hub = Self.hub()
        metrics.update(hub: hub, streams: Self.streams)
        #expect(!metrics.exposition().contains("raaf_cluster_"))
        hub.cluster = BroadcasterStats(connected: true, subscriptions: 2, published: 7)
        var log = StreamLogStats(
            appends: 4, frames: 10, failures: 1, totalLatency: .milliseconds(500), averageLatency: .milliseconds(125),
            maxLatency: .milliseconds(300))
        metrics.update(hub: hub, streams: Self.streams, log: log)
        #expect(line(metrics, "raaf_cluster_redis_connected") == "raaf_cluster_redis_connected 1.0")
        #expect(line(metrics, "raaf_cluster_log_appends_total") == "raaf_cluster_log_appends_total 4")
        #expect(line(metrics, "raaf_cluster_log_append_seconds_total") == "raaf_cluster_log_append_seconds_total 0.5")
        // Lifetime figures would hide what a scrape period did: no average or max gauges.
        #expect(!metrics.exposition().contains("raaf_cluster_log_append_average"))
        #expect(!metrics.exposition().contains("raaf_cluster_log_append_max"))

        log.appends = 6
        log.totalLatency = .milliseconds(750)
        metrics.update(hub: hub, streams: Self.streams, log: log)
        #expect(line(metrics, "raaf_cluster_log_appends_total") == "raaf_cluster_log_appends_total 6")
        #expect(line(metrics, "raaf_cluster_log_append_seconds_total") == "raaf_cluster_log_append_seconds_total 0.75")

        // A total that went down (a new log's counters) never makes the counter go back.
        log.totalLatency = .milliseconds(100)
        metrics.update(hub: hub, streams: Self.streams, log: log)
        #expect(line(metrics, "raaf_cluster_log_append_seconds_total") == "raaf_cluster_log_append_seconds_total 0.75")
    }

    @Test("two servers keep separate registries")
    func separateRegistries() {
        let first = StreamingMetrics()
        let second = StreamingMetrics()
        first.update(hub: Self.hub(connections: 8), streams: Self.streams)
        #expect(line(first, "raaf_websocket_connections") == "raaf_websocket_connections 8.0")
        #expect(line(second, "raaf_websocket_connections") == "raaf_websocket_connections 0.0")
    }
}
