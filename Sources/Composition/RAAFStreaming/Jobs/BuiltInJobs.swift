import StreamingApplication
import StreamingDomain

/// The jobs every worker knows, for demos and operations:
/// `noop`, `sleep` (`{"ms": N}`), `fail` (`{"times": N}`: fails its first N attempts) and
/// `agent` (`{"agent": NAME, "input": TEXT, "callback_url": URL}`: runs one of the system's
/// agents and keeps its answer; with a callback URL, POSTs the result there) and `callback`
/// (the POST itself, ``Callbacks``).
public enum BuiltInJobs {
    public static let names = ["agent", "callback", "fail", "noop", "sleep"]

    struct Sleep: Codable, Sendable {
        var ms: Int
    }

    struct Fail: Codable, Sendable {
        var times: Int
    }

    /// Registers the built-in jobs on `processor`; `agent` runs on `system`'s runner and agents.
    public static func register(on processor: BackgroundProcessor, system: StreamingSystem) {
        processor.register("noop") { _ in nil }
        processor.register("sleep", payload: Sleep.self) { sleep, _ in
            guard sleep.ms >= 0 else { throw StreamingError.invalidInput("sleep needs ms >= 0, got \(sleep.ms)") }
            try await Task.sleep(for: .milliseconds(sleep.ms))
        }
        processor.register("fail", payload: Fail.self) { fail, context in
            if context.attempt <= fail.times {
                throw JobFailedOnPurpose(attempt: context.attempt, times: fail.times)
            }
        }
        processor.registerAgentJob(
            runner: system.runner, agents: system.agents, callbackAttempts: system.configuration.background.callbackAttempts)
        processor.registerCallbackJob(sender: system.callbackSender)
    }

    /// The error of the `fail` job: retryable, like any failure that is not bad input.
    struct JobFailedOnPurpose: Error, CustomStringConvertible {
        var attempt: Int
        var times: Int
        var description: String { "failing attempt \(attempt) of the first \(times) on purpose" }
    }
}
