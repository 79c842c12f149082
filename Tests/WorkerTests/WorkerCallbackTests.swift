import Foundation
import Glibc
import RAAFStreaming
import StreamingTestSupport
import Testing

/// The `agent` job's `callback_url` through real processes: `raaf-streaming enqueue` adds the
/// job, a running `raaf-streaming worker` answers it and POSTs the result, signed, to a Python
/// receiver that fails the first POST.
@Suite("Worker callbacks", .serialized)
struct WorkerCallbackTests {
    @Test("raaf-streaming enqueue agent {…callback_url} with a running worker POSTs the answer, retrying a 500")
    func enqueueAgentWithCallback() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("raaf-callback-\(UUID().uuidString).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let receiver = try await CallbackReceiver.start(secret: "process-secret")
        var environment = ProcessInfo.processInfo.environment
        for name in ["OPENAI_API_KEY", "OPENAI_BASE_URL", "REDIS_URL", "RAAF_LOG_FORMAT"] { environment[name] = nil }
        environment["RAAF_CALLBACK_SECRET"] = "process-secret"
        environment["BACKGROUND_QUEUE_NAME"] = "agent_jobs"
        environment["RAAF_SIMULATION_DELAY_MS"] = "0"
        let executable = try ChildProcess.built("raaf-streaming")

        let worker = try RunningChild(executable, ["worker", "--queue", "sqlite:\(path)", "--workers", "2"], environment: environment)
        do {
            let payload = #"{"agent":"assistant","input":"weather in Oslo","callback_url":"\#(receiver.url("/flaky"))"}"#
            let enqueue = try await ChildProcess.run(
                executable, ["enqueue", "agent", payload, "--queue", "sqlite:\(path)"], environment: environment)
            #expect(enqueue.status == 0, "\(enqueue.stderr)")
            let jobID = enqueue.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

            // The retry comes after the configured backoff (5 s base, full jitter).
            try await waitUntil(timeout: .seconds(30), "the callback to be accepted") { receiver.deliveries.count == 2 }
            let deliveries = receiver.deliveries
            #expect(deliveries.map(\.status) == [500, 200])
            let allSigned = deliveries.allSatisfy { $0.signatureOK }
            #expect(allSigned)
            let body = deliveries[1].json
            #expect(body["id"] as? String == jobID)
            #expect(body["status"] as? String == "completed")
            #expect((body["final_output"] as? String)?.contains("Oslo") == true)

            // The job went to the named queue, not the default one.
            let system = try Streaming.configure(environment: [:])
            let named = try system.makeJobQueue(.sqlite(path: path), queue: "agent_jobs")
            let other = try system.makeJobQueue(.sqlite(path: path), queue: "default")
            #expect(try await named.job(JobID(rawValue: jobID))?.state == .completed)
            #expect(try await other.job(JobID(rawValue: jobID)) == nil)
            try await named.shutdown()
            try await other.shutdown()

            // A callback URL that is not http(s) is refused by enqueue itself.
            let refused = try await ChildProcess.run(
                executable, ["enqueue", "agent", #"{"agent":"assistant","input":"x","callback_url":"ftp://h/x"}"#, "--queue", "sqlite:\(path)"],
                environment: environment)
            #expect(refused.status == 64)
            #expect(refused.stderr.contains("http or https"))
        } catch {
            print("worker output:\n\(worker.outputSoFar)\nexited: \(worker.hasExited)")
            await worker.stop()
            await receiver.stop()
            throw error
        }
        worker.send(SIGINT)
        #expect(try await worker.waitForExit() == 0)
        await receiver.stop()
    }
}
