import Foundation
import Glibc
import RAAFStreaming
import StreamingTestSupport
import Testing

/// `raaf-streaming worker` on SIGTERM with `SHUTDOWN_GRACE`: it stops claiming, lets a
/// running job finish within the grace, and gives back one that does not, attempts untouched.
@Suite("Worker drain with the shutdown grace", .serialized)
struct WorkerDrainTests {
    static func withQueue(_ body: (String, any JobQueue) async throws -> Void) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("raaf-drain-\(UUID().uuidString).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let system = try Streaming.configure(environment: [:])
        let queue = try system.makeJobQueue(.sqlite(path: path))
        try await body("sqlite:\(path)", queue)
        try? await queue.shutdown()
    }

    static func worker(_ queue: String, grace: String) throws -> RunningChild {
        var environment = ProcessInfo.processInfo.environment
        environment["SHUTDOWN_GRACE"] = grace
        environment["REDIS_URL"] = nil
        return try RunningChild(
            try ChildProcess.built("raaf-streaming"), ["worker", "--queue", queue, "--workers", "2"], environment: environment)
    }

    @Test("a job longer than the grace is given back without costing an attempt; the worker exits 0 at the grace")
    func graceRunsOut() async throws {
        try await Self.withQueue { location, queue in
            let id = try await queue.enqueue(NewJob(name: "sleep", payload: Array(#"{"ms":60000}"#.utf8)))
            let worker = try Self.worker(location, grace: "1")
            defer { worker.send(SIGKILL) }
            try await waitUntil("the job to run") { (try? await queue.job(id))?.state == .processing }
            let signalled = ContinuousClock.now
            worker.send(SIGTERM)
            #expect(try await worker.waitForExit(timeout: .seconds(30)) == 0, "\(worker.outputSoFar)")
            // Long before the 60 s job, well after the 1 s grace began.
            #expect(ContinuousClock.now - signalled < .seconds(20))
            let job = try #require(try await queue.job(id))
            #expect(job.state == .waiting, "\(job)")
            #expect(job.attempts == 0, "\(job)")
        }
    }

    @Test("a job shorter than the grace finishes after the signal; nothing new is claimed")
    func runningJobFinishes() async throws {
        try await Self.withQueue { location, queue in
            let running = try await queue.enqueue(NewJob(name: "sleep", payload: Array(#"{"ms":1500}"#.utf8)))
            let worker = try Self.worker(location, grace: "60")
            defer { worker.send(SIGKILL) }
            try await waitUntil("the job to run") { (try? await queue.job(running))?.state == .processing }
            worker.send(SIGTERM)
            _ = try await worker.line(containing: "background processor stopping")
            let later = try await queue.enqueue(NewJob(name: "noop", payload: Array("{}".utf8)))
            #expect(try await worker.waitForExit(timeout: .seconds(30)) == 0, "\(worker.outputSoFar)")
            #expect(try await queue.job(running)?.state == .completed)
            #expect(try await queue.job(later)?.state == .waiting)
        }
    }
}
