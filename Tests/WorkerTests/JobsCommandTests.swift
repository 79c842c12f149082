import Foundation
import Glibc
import RAAFStreaming
import StreamingTestSupport
import Testing

/// `raaf-streaming enqueue`, `worker` and `jobs` on a SQLite file, as an operator uses them.
@Suite("Jobs from the command line", .serialized)
struct JobsCommandTests {
    static func cli(_ arguments: [String]) async throws -> ChildProcess.Output {
        var environment = ProcessInfo.processInfo.environment
        environment["REDIS_URL"] = nil
        return try await ChildProcess.run(try ChildProcess.built("raaf-streaming"), arguments, environment: environment)
    }

    static func temporaryQueue() -> (argument: String, cleanup: () -> Void) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("raaf-cli-\(UUID().uuidString).sqlite").path
        return ("sqlite:\(path)", {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        })
    }

    @Test("enqueue prints the job id; an idempotency key gives the same id; stats count priorities and schedules")
    func enqueueAndStats() async throws {
        let (queue, cleanup) = Self.temporaryQueue()
        defer { cleanup() }
        let first = try await Self.cli(["enqueue", "--queue", queue, "noop", "{}", "--priority", "high", "--key", "k1"])
        #expect(first.status == 0)
        let again = try await Self.cli(["enqueue", "--queue", queue, "noop", "{}", "--key", "k1"])
        #expect(again.stdout == first.stdout && first.stdout.count == 37)
        _ = try await Self.cli(["enqueue", "--queue", queue, "sleep", #"{"ms":1}"#, "--priority", "low"])
        _ = try await Self.cli(["enqueue", "--queue", queue, "noop", "{}", "--at", "2099-01-01T00:00:00Z"])
        let stats = try await Self.cli(["jobs", "stats", "--queue", queue, "--json"])
        #expect(stats.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
        #expect(json["high_priority_queue"] as? Int == 1)
        #expect(json["low_priority_queue"] as? Int == 1)
        #expect(json["scheduled_jobs"] as? Int == 1)
    }

    @Test("bad arguments fail with a usage error and change nothing")
    func badArguments() async throws {
        let (queue, cleanup) = Self.temporaryQueue()
        defer { cleanup() }
        for arguments in [
            ["enqueue", "--queue", queue, "noop", "{not json"],
            ["enqueue", "--queue", queue, "noop", "{}", "--priority", "urgent"],
            ["enqueue", "--queue", queue, "noop", "{}", "--at", "tomorrow"],
            ["enqueue", "--queue", "ftp://x", "noop", "{}"],
        ] {
            let run = try await Self.cli(arguments)
            #expect(run.status == 64, "\(arguments)")
            #expect(!run.stderr.isEmpty)
        }
        let stats = try await Self.cli(["jobs", "stats", "--queue", queue, "--json"])
        #expect(stats.stdout.contains(#""normal_priority_queue":0"#))
    }

    @Test("a worker runs jobs; one that fails every attempt is dead, listed, and can be requeued")
    func workerAndDeadJobs() async throws {
        let (queue, cleanup) = Self.temporaryQueue()
        defer { cleanup() }
        _ = try await Self.cli(["enqueue", "--queue", queue, "fail", #"{"times":99}"#, "--max-attempts", "1"])
        _ = try await Self.cli(["enqueue", "--queue", queue, "agent", #"{"agent":"support","input":"hello"}"#])
        _ = try await Self.cli(["enqueue", "--queue", queue, "no_such_job", "{}"])
        let worker = try RunningChild(try ChildProcess.built("raaf-streaming"), ["worker", "--queue", queue, "--workers", "2"])
        try await waitUntil(timeout: .seconds(30), "the jobs to settle") {
            let stats = try? await Self.cli(["jobs", "stats", "--queue", queue, "--json"])
            return stats?.stdout.contains(#""failed_jobs":2"#) == true && stats?.stdout.contains(#""completed_jobs":1"#) == true
        }
        worker.send(SIGINT)
        #expect(try await worker.waitForExit() == 0)

        let dead = try await Self.cli(["jobs", "dead", "--queue", queue, "--json"])
        let lines = dead.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(dead.stdout.contains("failing attempt 1"))
        #expect(dead.stdout.contains(#"no handler is registered for job name \"no_such_job\""#))
        let requeued = try await Self.cli(["jobs", "dead", "--queue", queue, "--requeue"])
        #expect(requeued.stdout == "requeued 2 jobs\n")
        let stats = try await Self.cli(["jobs", "stats", "--queue", queue, "--json"])
        #expect(stats.stdout.contains(#""failed_jobs":0"#) && stats.stdout.contains(#""normal_priority_queue":2"#))
    }
}
