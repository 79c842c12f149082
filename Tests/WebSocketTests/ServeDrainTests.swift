import Foundation
import Glibc
import StreamingTestSupport
import Testing

/// A deploy's SIGTERM on a real `raaf-streaming serve` while independent clients (Python's
/// `websockets`) stream answers from a paced model: the server drains (issue 19). The
/// scenario (Interop/drain.py) checks what each client sees; the test sends the signals and
/// checks how the process ends.
@Suite("serve drains on SIGTERM", .serialized, .needsPythonWebSockets)
struct ServeDrainTests {
    /// About 86 chunks an answer: 3.4 s at 40 ms a token, 5.2 s at 60 ms.
    static func start(pace milliseconds: Int, grace: String) async throws -> (RunningChild, String) {
        let serve = try ServeProcess.start(
            ["--host", "127.0.0.1", "--port", "0"],
            environment: ["RAAF_SIMULATION_DELAY_MS": String(milliseconds), "SHUTDOWN_GRACE": grace]
        )
        let url = try await ServeProcess.url(of: serve)
        return (serve, url.replacingOccurrences(of: "http://", with: "ws://") + "/ws")
    }

    /// Runs the scenario with `count` streaming clients: SIGTERM once all stream (and a second
    /// one once the scenario checked the refusals, when `twice`); returns the scenario's output
    /// and how long the process took to exit after the first signal.
    static func drain(
        _ serve: RunningChild, _ url: String, count: Int, end: String, twice: Bool = false
    ) async throws -> (ChildProcess.Output, Duration) {
        try await BackgroundScenario.run("drain", url: url, [String(count), end]) { scenario in
            try await scenario.waitFor("streaming")
            let signalled = ContinuousClock.now
            serve.send(SIGTERM)
            try scenario.signal("terminated")
            if twice {
                try await scenario.waitFor("checked")
                serve.send(SIGTERM)
            }
            let output = try await scenario.finish()
            let status = try await serve.waitForExit(timeout: .seconds(60))
            #expect(status == 0, "serve exited with \(status): \(serve.outputSoFar)")
            return (output, ContinuousClock.now - signalled)
        }
    }

    @Test("SIGTERM mid-answer: every client gets its whole answer and complete, newcomers get 503, exit 0")
    func everyAnswerInFlightIsFinished() async throws {
        let (serve, url) = try await Self.start(pace: 40, grace: "60")
        defer { serve.send(SIGKILL) }
        let (output, took) = try await Self.drain(serve, url, count: 4, end: "complete")
        #expect(output.status == 0, "\(output.transcript)")
        #expect(output.result?["ends"] == ["complete"], "\(output.transcript)")
        // The process ends after the last answer, not at the end of the 60 s grace.
        #expect(took < .seconds(45), "exit \(took) after SIGTERM")
        #expect(serve.outputSoFar.contains("drained end=finished"), "\(serve.outputSoFar)")
    }

    @Test("a grace shorter than the answers: the rest end with shutting_down, then the close, exit 0")
    func graceRunsOut() async throws {
        let (serve, url) = try await Self.start(pace: 60, grace: "2")
        defer { serve.send(SIGKILL) }
        let (output, _) = try await Self.drain(serve, url, count: 3, end: "shutting_down")
        #expect(output.status == 0, "\(output.transcript)")
        #expect(output.result?["ends"] == ["error"], "\(output.transcript)")
        #expect(serve.outputSoFar.contains("drained end=graceOver"), "\(serve.outputSoFar)")
    }

    @Test("a second SIGTERM during the drain stops at once, with the final shutting_down frames")
    func secondSignalStopsAtOnce() async throws {
        let (serve, url) = try await Self.start(pace: 60, grace: "600")
        defer { serve.send(SIGKILL) }
        let (output, took) = try await Self.drain(serve, url, count: 2, end: "shutting_down", twice: true)
        #expect(output.status == 0, "\(output.transcript)")
        #expect(serve.outputSoFar.contains("drained end=stoppedAtOnce"), "\(serve.outputSoFar)")
        #expect(took < .seconds(60), "exit \(took) after the first SIGTERM")
    }
}
