import Foundation
import Synchronization
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

    @Test("the API key never appears in the output or in log lines")
    func secretsStayOut() async throws {
        let key = "sk-test-DO-NOT-LEAK-1234567890"
        let run = try await CLI.run(
            ["chat", "--json", "hello"],
            environment: ["OPENAI_API_KEY": key, "RAAF_LOG_LEVEL": "trace", "RAAF_LOG_FORMAT": "json"]
        )
        #expect(!run.stdout.contains(key))
        #expect(!run.stderr.contains(key))
    }
}

/// Runs the built `raaf-streaming` executable.
enum CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The executable next to the test bundle, in the build folder.
    static var executable: URL {
        get throws {
            var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            for _ in 0..<4 {
                let candidate = folder.appendingPathComponent("raaf-streaming")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
                folder.deleteLastPathComponent()
            }
            throw CLIError.notBuilt
        }
    }

    enum CLIError: Error { case notBuilt, outputNeverEnded }

    static func run(_ arguments: [String], input: String? = nil, environment: [String: String] = [:]) async throws
        -> Result
    {
        let process = Process()
        process.executableURL = try executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for name in ["OPENAI_API_KEY", "OPENAI_BASE_URL", "RAAF_MODEL", "RAAF_LOG_LEVEL", "RAAF_LOG_FORMAT"] {
            env[name] = nil
        }
        env.merge(environment) { _, new in new }
        process.environment = env
        let stdout = PipeCollector()
        let stderr = PipeCollector()
        let stdin = Pipe()
        process.standardOutput = stdout.pipe
        process.standardError = stderr.pipe
        process.standardInput = stdin
        // Await the termination handler: waitUntilExit can spin on Linux from a concurrency thread.
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
                return
            }
            stdin.fileHandleForWriting.write(Data((input ?? "").utf8))
            try? stdin.fileHandleForWriting.close()
        }
        return Result(status: status, stdout: try await stdout.text(), stderr: try await stderr.text())
    }
}

/// Reads a pipe to its end on a thread of its own, so a chatty child never blocks on a
/// full pipe and no cooperative thread blocks on a read.
final class PipeCollector: Sendable {
    let pipe = Pipe()
    private let state = Mutex<String?>(nil)

    init() {
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            let data = handle.readDataToEndOfFile()
            self.state.withLock { $0 = String(decoding: data, as: UTF8.self) }
        }
    }

    /// Everything written, once the writer has closed the pipe.
    func text(timeout: Duration = .seconds(30)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let text = state.withLock({ $0 }) { return text }
            guard ContinuousClock.now < deadline else { throw CLI.CLIError.outputNeverEnded }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
