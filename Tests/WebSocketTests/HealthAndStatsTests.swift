import AsyncHTTPClient
import Foundation
import RAAFStreaming
import StreamingRedisTestSupport
import StreamingTestSupport
import Testing

/// `/health` that tells which component fails, `/health/live` and `/health/ready`, and
/// `system.stats()` equal to `GET /stats`.
@Suite("Health and stats", .serialized)
struct HealthAndStatsTests {
    @Test("/health lists each component with its state and latency; /health/live answers; 200 when all work")
    func healthyReport() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("raaf-health-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let queue = try SQLiteJobQueue(path: path, queue: "health")
        try await HTTPTestServer.with(jobQueue: queue, chatStore: try SQLiteChatStore(path: path + ".chat")) { server in
            let response = try await server.get("/health")
            #expect(response.status == .ok)
            let report = try await response.json()
            #expect(report["status"] as? String == "ok")
            #expect(report["failing"] == nil)
            #expect((report["uptime_seconds"] as? Double ?? -1) >= 0)
            #expect((report["memory_bytes"] as? Int ?? 0) > 1_000_000)
            let components = try #require(report["components"] as? [String: [String: Any]])
            #expect(Set(components.keys) == ["chat_store", "job_queue", "model_provider"])
            for (name, component) in components {
                #expect(component["status"] as? String == "ok", "\(name)")
                #expect(component["latency_ms"] is Double, "\(name)")
            }
            #expect(components["job_queue"]?["detail"] as? String == "sqlite (queue health)")
            #expect(components["model_provider"]?["detail"] as? String == "offline scripted model")
            #expect(try await server.get("/health/live").status == .ok)
            #expect(try await server.get("/health/ready").status == .ok)
        }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + ".chat" + suffix) }
    }

    @Test("a Redis job queue that stops answering turns /health and /health/ready to 503 naming job_queue; /health/live stays 200")
    func redisDown() async throws {
        guard ChildProcess.find("redis-server") != nil else { return }
        let redis = try await RedisTestServer.start()
        let queue = try RedisJobQueue(url: redis.url, queue: "health")
        do {
            try await HTTPTestServer.with(jobQueue: queue) { server in
                let up = try await server.get("/health").json()
                let upComponents = up["components"] as? [String: [String: Any]]
                #expect(up["status"] as? String == "ok")
                #expect(upComponents?["job_queue"]?["detail"] as? String == "redis (queue health)")

                await redis.stop()
                let response = try await server.get("/health")
                #expect(response.status == .serviceUnavailable)
                let report = try await response.json()
                #expect(report["status"] as? String == "failing")
                #expect(report["failing"] as? [String] == ["job_queue"])
                let components = report["components"] as? [String: [String: Any]]
                #expect(components?["job_queue"]?["status"] as? String == "failing")
                #expect((components?["job_queue"]?["detail"] as? String)?.isEmpty == false)
                #expect(components?["chat_store"]?["status"] as? String == "ok")

                let ready = try await server.get("/health/ready")
                #expect(ready.status == .serviceUnavailable)
                #expect(try await ready.json()["failing"] as? [String] == ["job_queue"])
                #expect(try await server.get("/health/live").status == .ok)
            }
        } catch {
            await redis.stop()
            throw error
        }
        try? await queue.shutdown()
    }

    @Test("system.stats() gives the same figures as GET /stats, with the async runner and the event bus")
    func statsInCode() async throws {
        try await HTTPTestServer.with { server in
            let runner = server.system.asyncRunner()
            try await runner.withRunning { runner in
                _ = try await runner.process(DemoAgents.support, "hi")
            }
            _ = try await server.stream(agent: "support", input: "hello")
            let overHTTP = try await server.get("/stats").json()
            let inCode = await server.system.stats()
            let inCodeObject = try JSONSerialization.jsonObject(with: Data(inCode.jsonString.utf8)) as? [String: Any]
            #expect(NSDictionary(dictionary: overHTTP) == NSDictionary(dictionary: inCodeObject ?? [:]))
            let runnerSection = overHTTP["async_runner"] as? [String: Any]
            #expect(runnerSection?["completed"] as? Int == 1)
            let bus = overHTTP["event_bus"] as? [String: Any]
            #expect((bus?["emitted"] as? Int ?? 0) > 0)
            #expect((overHTTP["streams"] as? [String: Any])?["completed"] as? Int == 1)
        }
    }
}
