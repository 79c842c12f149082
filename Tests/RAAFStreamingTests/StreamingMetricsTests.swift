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

    @Test("two servers keep separate registries")
    func separateRegistries() {
        let first = StreamingMetrics()
        let second = StreamingMetrics()
        first.update(hub: Self.hub(connections: 8), streams: Self.streams)
        #expect(line(first, "raaf_websocket_connections") == "raaf_websocket_connections 8.0")
        #expect(line(second, "raaf_websocket_connections") == "raaf_websocket_connections 0.0")
    }
}
