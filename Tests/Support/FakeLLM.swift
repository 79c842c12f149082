import Foundation
import Glibc

/// An independent OpenAI-compatible server for end-to-end tests: Python's `fakellm`
/// (pinned to 0.3.5), started on a loopback port with a rules file and stopped after.
public enum FakeLLM {
    /// Why the end-to-end tests are skipped when the server cannot be started.
    public static let requirement =
        "needs python3 with fakellm 0.3.5 (`pip install fakellm==0.3.5`, done by scripts/install-deps.sh)"

    /// The rules the tests use (`Tests/Support/Fixtures/fakellm.yaml`).
    public static let testRules = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fakellm.yaml")

    /// Whether `python3` can import fakellm here.
    public static func isAvailable() async -> Bool {
        guard let python = ChildProcess.find("python3") else { return false }
        let output = try? await ChildProcess.run(
            python,
            ["-c", "import fakellm, sys; sys.exit(0 if fakellm.__version__ == '0.3.5' else 3)"],
            environment: ProcessInfo.processInfo.environment
        )
        return output?.status == 0
    }

    /// Starts fakellm with `rules` (a YAML file), runs `body` with its base URL
    /// (`http://127.0.0.1:PORT/v1`), then stops it.
    public static func run<Result>(rules: URL = testRules, _ body: (String) async throws -> Result) async throws -> Result {
        guard let python = ChildProcess.find("python3") else { throw FakeLLMError.notInstalled }
        let port = try Loopback.freePort()
        let server = try RunningChild(
            python,
            [
                "-c", "from fakellm.cli import main; main()",
                "serve", "--host", "127.0.0.1", "--port", String(port), "--config", rules.path,
            ]
        )
        do {
            try await waitUntil(timeout: .seconds(30), "fakellm to listen on port \(port)") {
                server.hasExited || Loopback.canConnect(port: port)
            }
            guard !server.hasExited else {
                throw FakeLLMError.didNotStart(log: (try? await server.text()) ?? "")
            }
        } catch {
            await server.stop()
            throw error
        }
        do {
            let result = try await body("http://127.0.0.1:\(port)/v1")
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    public enum FakeLLMError: Error {
        case notInstalled
        case didNotStart(log: String)
    }
}
