import Foundation
import StreamingTestSupport
import Testing

// One child at a time: a child spawned concurrently could inherit another's pipe ends and
// keep them open, so neither would see end-of-file.
@Suite("raaf-streaming chat", .serialized)
struct ChatCommandTests {
    @Test("streams the answer with tool calls and results on their own lines, then usage")
    func textOutput() async throws {
        let run = try await CLI.run(["chat", "What's the weather in Paris?"])
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.contains(#"⚙ get_weather {"city":"Paris"}"#))
        #expect(lines.contains { $0.hasPrefix("↳ Paris: ") })
        #expect(lines.contains("Here is what I found:"))
        #expect(lines.contains { $0.hasPrefix("[assistant · 2 turns · tokens: prompt ") })
        #expect(run.stderr.isEmpty)
    }

    @Test("marks a handoff on its own line")
    func handoff() async throws {
        let run = try await CLI.run(["chat", "transfer me to support"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("\n⇄ handoff: assistant → support") || run.stdout.hasPrefix("⇄ handoff: assistant → support"))
        #expect(run.stdout.contains("Hello, this is support."))
    }

    @Test("--json prints one JSON object per event, each with type and seq")
    func json() async throws {
        let run = try await CLI.run(["chat", "--json", "weather in Oslo"])
        #expect(run.status == 0)
        let objects = try run.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(objects.map { $0["seq"] as? Int } == Array(1...objects.count))
        let types = objects.compactMap { $0["type"] as? String }
        #expect(types.first == "tool_call")
        #expect(types.contains("tool_output"))
        #expect(types.contains("response_chunk"))
        #expect(types.last == "complete")
        let usage = try #require(objects.last?["usage"] as? [String: Any])
        #expect((usage["total_tokens"] as? Int ?? 0) > 0)
    }

    @Test("reads the prompt from standard input when none is given")
    func standardInput() async throws {
        let run = try await CLI.run(["chat", "--agent", "support"], input: "piped question\n")
        #expect(run.status == 0)
        #expect(run.stdout.contains("piped question"))
    }

    @Test("an unknown agent, an empty prompt and a bad setting fail on stderr with a non-zero status")
    func errors() async throws {
        let unknown = try await CLI.run(["chat", "--agent", "nobody", "hi"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("unknown agent \"nobody\""))
        #expect(unknown.stdout.isEmpty)

        let empty = try await CLI.run(["chat"], input: "")
        #expect(empty.status != 0)
        #expect(empty.stderr.contains("no prompt"))

        let badPort = try await CLI.run(["chat", "hi"], environment: ["WEBSOCKET_PORT": "abc"])
        #expect(badPort.status == 78)
        #expect(badPort.stderr.contains("WEBSOCKET_PORT"))
    }

    @Test("--max-turns 1 fails a run that needs a tool turn")
    func maxTurns() async throws {
        let run = try await CLI.run(["chat", "--max-turns", "1", "weather in Rome"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("1 turns"))
    }

    @Test("an unreachable model server is a connection error on stderr, without the API key")
    func unreachableModel() async throws {
        let key = "sk-test-DO-NOT-LEAK-1234567890"
        // Port 9 on loopback: nothing listens there, so the connection is refused at once.
        let run = try await CLI.run(
            ["chat", "hello"],
            environment: ["OPENAI_API_KEY": key, "OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "RAAF_LOG_LEVEL": "trace"]
        )
        #expect(run.status == 1)
        #expect(run.stderr.contains("connection"))
        #expect(!run.stdout.contains(key))
        #expect(!run.stderr.contains(key))
    }
}

/// `raaf-streaming chat` on the offline model streams the way a real model does: a person sees
/// the answer arrive token by token, not in one piece.
@Suite("raaf-streaming chat at a person's pace", .serialized)
struct ChatPaceTests {
    static let prompt = "Tell me about streaming"

    /// The answer's tokens, from the usage line ("completion N": one per text delta).
    static func answerTokens(_ run: ChildProcess.Output) throws -> Int {
        let usage = try #require(run.stdout.firstMatch(of: /tokens: prompt \d+, completion (\d+),/))
        return try #require(Int(usage.1))
    }

    static func span(_ reads: [PipeCollector.Read]) throws -> Duration {
        try #require(reads.last).at - (try #require(reads.first)).at
    }

    @Test("by default the answer reaches a pipe in many writes, about 30 ms a token apart")
    func pacedByDefault() async throws {
        let run = try await CLI.run(["chat", Self.prompt], environment: ["RAAF_SIMULATION_DELAY_MS": ""])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("You said: “\(Self.prompt)”"))
        let tokens = try Self.answerTokens(run)
        #expect(tokens >= 40)
        // Each token is its own write, 30 ms after the one before: the reader sees most of them
        // one by one, and the last read comes at least (tokens - 1) × 30 ms after the first.
        #expect(run.stdoutReads.count >= tokens / 2, "\(run.stdoutReads.count) reads for \(tokens) tokens")
        let span = try Self.span(run.stdoutReads)
        #expect(span >= .milliseconds(30) * (tokens - 1), "first to last read: \(span)")
    }

    @Test("RAAF_SIMULATION_DELAY_MS sets the pause per token; 0 prints the answer at once")
    func delayFromTheEnvironment() async throws {
        let slow = try await CLI.run(["chat", Self.prompt], environment: ["RAAF_SIMULATION_DELAY_MS": "45"])
        #expect(slow.status == 0, "\(slow.stderr)")
        let tokens = try Self.answerTokens(slow)
        let slowSpan = try Self.span(slow.stdoutReads)
        #expect(slowSpan >= .milliseconds(45) * (tokens - 1), "first to last read: \(slowSpan)")

        let instant = try await CLI.run(["chat", Self.prompt], environment: ["RAAF_SIMULATION_DELAY_MS": "0"])
        #expect(instant.status == 0, "\(instant.stderr)")
        #expect(try Self.answerTokens(instant) == tokens)
        // The whole answer is written within a fraction of what one paced token-by-token run takes.
        let instantSpan = try Self.span(instant.stdoutReads)
        #expect(instantSpan < .milliseconds(30) * (tokens - 1) / 4, "first to last read: \(instantSpan)")
    }

    @Test("a bad RAAF_SIMULATION_DELAY_MS exits 78 naming the variable")
    func badDelay() async throws {
        let run = try await CLI.run(["chat", Self.prompt], environment: ["RAAF_SIMULATION_DELAY_MS": "slow"])
        #expect(run.status == 78)
        #expect(run.stderr.contains("RAAF_SIMULATION_DELAY_MS"))
        #expect(run.stdout.isEmpty)
    }
}

/// `raaf-streaming chat` against an OpenAI-compatible server when OPENAI_BASE_URL is set.
@Suite(
    "raaf-streaming chat with a remote model",
    .serialized,
    .enabled(Comment(rawValue: FakeLLM.requirement)) { await FakeLLM.isAvailable() }
)
struct ChatCommandRemoteModelTests {
    @Test("uses the OpenAI-compatible provider, streams its answer, and never logs the key")
    func remoteModel() async throws {
        let key = "sk-test-DO-NOT-LEAK-1234567890"
        let run = try await FakeLLM.run { baseURL in
            try await CLI.run(
                ["chat", "--json", "Please say something unusual"],
                environment: [
                    "OPENAI_API_KEY": key, "OPENAI_BASE_URL": baseURL, "RAAF_LOG_LEVEL": "trace", "RAAF_LOG_FORMAT": "json",
                ]
            )
        }
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n")
        let complete = try #require(lines.last.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(complete?["type"] as? String == "complete")
        #expect(complete?["content"] as? String == "Première ligne — ünïcødé ✓\nSecond line with 🙂 and 漢字\n\nLast line.")
        #expect(lines.count > 5)
        #expect(run.stderr.contains("model stream started"))
        #expect(!run.stdout.contains(key))
        #expect(!run.stderr.contains(key))
    }
}

/// Runs the built `raaf-streaming` executable.
enum CLI {
    /// Runs the command with the model and logging variables of this environment removed and
    /// an instant model (`RAAF_SIMULATION_DELAY_MS=0`), then `environment` added. Pass
    /// `"RAAF_SIMULATION_DELAY_MS": ""` for the command's own pace, as a person gets it.
    static func run(_ arguments: [String], input: String? = nil, environment: [String: String] = [:]) async throws
        -> ChildProcess.Output
    {
        var env = ProcessInfo.processInfo.environment
        for name in ["OPENAI_API_KEY", "OPENAI_BASE_URL", "RAAF_MODEL", "RAAF_LOG_LEVEL", "RAAF_LOG_FORMAT"] {
            env[name] = nil
        }
        env["RAAF_SIMULATION_DELAY_MS"] = "0"
        env.merge(environment) { _, new in new }
        return try await ChildProcess.run(try ChildProcess.built("raaf-streaming"), arguments, input: input ?? "", environment: env)
    }
}
