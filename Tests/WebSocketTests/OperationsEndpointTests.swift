import AsyncHTTPClient
import Foundation
import RAAFStreaming
import StreamingTestSupport
import Testing

/// `/health`, `/stats` and `/metrics`.
@Suite("Health, stats and metrics endpoints")
struct OperationsEndpointTests {
    @Test("/health answers JSON with status ok; /health/live answers {\"status\":\"ok\"}")
    func health() async throws {
        try await HTTPTestServer.with { server in
            let response = try await server.get("/health")
            #expect(response.status == .ok)
            #expect(response.header("Content-Type") == "application/json; charset=utf-8")
            #expect(try await response.json()["status"] as? String == "ok")
            #expect(try await server.get("/health/live").text() == #"{"status":"ok"}"#)
        }
    }

    @Test("/stats has the hub's figures and the streams section, counting a finished stream")
    func stats() async throws {
        try await HTTPTestServer.with { server in
            _ = try await server.stream(agent: "support", input: "hi")
            let stats = try await server.get("/stats").json()
            for key in [
                "connections", "channels", "subscriptions", "active_streams", "retained_streams", "frames_in",
                "frames_out", "dropped", "accepted", "refused",
            ] {
                #expect(stats[key] is Int, "\(key)")
            }
            #expect(stats["active_streams"] as? Int == 0)
            #expect(stats["retained_streams"] as? Int == 1)
            let streams = try #require(stats["streams"] as? [String: Any])
            #expect(streams["started"] as? Int == 1)
            #expect(streams["completed"] as? Int == 1)
            #expect(stats["jobs"] == nil)
        }
    }

    @Test("/stats and /metrics report a configured job queue")
    func jobFigures() async throws {
        let queue = InMemoryJobQueue()
        _ = try await queue.enqueue(NewJob(name: "noop", priority: .high))
        _ = try await queue.enqueue(NewJob(name: "noop", priority: .low))
        _ = try await queue.enqueue(NewJob(name: "noop", runAt: Date().addingTimeInterval(3600)))
        try await HTTPTestServer.with(jobQueue: queue) { server in
            let jobs = try #require(try await server.get("/stats").json()["jobs"] as? [String: Any])
            #expect(jobs["high_priority_queue"] as? Int == 1)
            #expect(jobs["low_priority_queue"] as? Int == 1)
            #expect(jobs["scheduled_jobs"] as? Int == 1)

            let metrics = try PrometheusText(try await server.get("/metrics").text())
            #expect(metrics.value("raaf_jobs_waiting", ["priority": "high"]) == 1)
            #expect(metrics.value("raaf_jobs_waiting", ["priority": "normal"]) == 0)
            #expect(metrics.value("raaf_jobs_scheduled") == 1)
            #expect(metrics.type(of: "raaf_jobs_waiting") == "gauge")
        }
    }

    @Test("/metrics is Prometheus text with the hub's and the streams' series, counters that grow")
    func metrics() async throws {
        try await HTTPTestServer.with { server in
            let before = try await server.get("/metrics")
            #expect(before.status == .ok)
            #expect(before.header("Content-Type") == "text/plain; version=0.0.4")
            let empty = try PrometheusText(try await before.text())
            #expect(empty.value("raaf_websocket_connections") == 0)
            #expect(empty.value("raaf_streams_started_total") == 0)
            #expect(empty.value("raaf_jobs_waiting", ["priority": "high"]) == nil)

            _ = try await server.stream(agent: "support", input: "one")
            _ = try await server.stream(agent: "assistant", input: "weather in Rome")
            let metrics = try PrometheusText(try await server.get("/metrics").text())
            for (name, type) in [
                ("raaf_websocket_connections", "gauge"), ("raaf_websocket_channels", "gauge"),
                ("raaf_streams_active", "gauge"), ("raaf_streams_retained", "gauge"),
                ("raaf_websocket_frames_in_total", "counter"), ("raaf_websocket_frames_out_total", "counter"),
                ("raaf_websocket_dropped_total", "counter"), ("raaf_streams_started_total", "counter"),
                ("raaf_streams_completed_total", "counter"), ("raaf_streams_failed_total", "counter"),
                ("raaf_streams_cancelled_total", "counter"),
            ] {
                #expect(metrics.type(of: name) == type, "\(name)")
                #expect(metrics.value(name) != nil, "\(name)")
            }
            #expect(metrics.value("raaf_streams_started_total") == 2)
            #expect(metrics.value("raaf_streams_completed_total") == 2)
            #expect(metrics.value("raaf_streams_active") == 0)
            #expect(metrics.value("raaf_streams_retained") == 2)

            // A second scrape adds nothing that did not happen.
            let again = try PrometheusText(try await server.get("/metrics").text())
            #expect(again.value("raaf_streams_started_total") == 2)
        }
    }
}

/// A parsed Prometheus text exposition: `# TYPE` lines and samples.
struct PrometheusText {
    var types: [String: String] = [:]
    var samples: [(name: String, labels: [String: String], value: Double)] = []

    struct Malformed: Error { var line: String }

    init(_ text: String) throws {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4 else { throw Malformed(line: String(line)) }
                types[String(parts[2])] = String(parts[3])
                continue
            }
            if line.hasPrefix("#") { continue }
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                throw Malformed(line: String(line))
            }
            let series = line[..<space]
            var labels: [String: String] = [:]
            var name = String(series)
            if let brace = series.firstIndex(of: "{") {
                name = String(series[..<brace])
                guard series.last == "}" else { throw Malformed(line: String(line)) }
                for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: ",") {
                    let keyValue = pair.split(separator: "=", maxSplits: 1)
                    guard keyValue.count == 2 else { throw Malformed(line: String(line)) }
                    labels[String(keyValue[0])] = String(keyValue[1].dropFirst().dropLast())
                }
            }
            samples.append((name, labels, value))
        }
    }

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    func type(of name: String) -> String? { types[name] }
}
