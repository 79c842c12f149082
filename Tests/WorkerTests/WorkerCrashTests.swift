import Foundation
import Glibc
import RAAFStreaming
import StreamingRedisTestSupport
import StreamingTestSupport
import Testing

/// A real `raaf-streaming worker` process killed with SIGKILL while jobs are in flight:
/// a new worker must finish every job, and none may be left pending, processing or dead.
@Suite("Worker crash safety", .serialized)
struct WorkerCrashTests {
    static let jobs = 2_000

    @Test("SQLite: a worker killed mid-flight loses no job")
    func sqlite() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("raaf-crash-\(UUID().uuidString).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        try await Self.crashAndRecover(queueArgument: "sqlite:\(path)", location: .sqlite(path: path))
    }

    @Test(
        "Redis: a worker killed mid-flight loses no job",
        .enabled("needs redis-server on PATH (scripts/install-deps.sh installs it) or REDIS_URL") {
            ProcessInfo.processInfo.environment["REDIS_URL"] != nil || ChildProcess.find("redis-server") != nil
        }
    )
    func redis() async throws {
        if let url = ProcessInfo.processInfo.environment["REDIS_URL"], !url.isEmpty {
            try await Self.crashAndRecover(queueArgument: url, location: .redis(url: url))
            return
        }
        let server = try await RedisTestServer.start()
        do {
            try await Self.crashAndRecover(queueArgument: server.url, location: .redis(url: server.url))
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    static func crashAndRecover(queueArgument: String, location: JobQueueLocation) async throws {
        let system = try Streaming.configure(environment: [:])
        let queue = try system.makeJobQueue(location)
        defer { Task { try? await queue.shutdown() } }
        let payload = Array(#"{"ms":3}"#.utf8)
        for start in stride(from: 0, to: jobs, by: 500) {
            _ = try await queue.enqueue((start..<(start + 500)).map { _ in NewJob(name: "sleep", payload: payload) }, now: Date())
        }
        let executable = try ChildProcess.built("raaf-streaming")
        let arguments = ["worker", "--queue", queueArgument, "--workers", "8", "--lease", "1"]

        // The first worker gets going, then dies without a chance to clean up.
        let first = try RunningChild(executable, arguments)
        try await waitUntil(timeout: .seconds(60), "the first worker to have jobs in flight") {
            guard let stats = try? await queue.stats(now: Date()) else { return false }
            return stats.completed >= 200 && stats.processing > 0
        }
        first.send(SIGKILL)
        let killedStatus = try await first.waitForExit()
        #expect(killedStatus != 0)
        let inFlight = try await queue.stats(now: Date())
        #expect(inFlight.completed < jobs)

        // A new worker finishes everything, the dead worker's leased jobs included.
        let second = try RunningChild(executable, arguments)
        do {
            try await waitUntil(timeout: .seconds(120), "every job to complete") {
                (try? await queue.stats(now: Date()).completed) == jobs
            }
        } catch {
            await second.stop()
            Issue.record("the second worker said: \((try? await second.text()) ?? "")")
            throw error
        }
        second.send(SIGINT)
        #expect(try await second.waitForExit() == 0)

        let stats = try await queue.stats(now: Date())
        #expect(stats.completed == jobs)
        #expect(stats.totalWaiting == 0)
        #expect(stats.scheduled == 0)
        #expect(stats.processing == 0)
        #expect(stats.dead == 0)
    }
}
