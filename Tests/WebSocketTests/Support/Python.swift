import Foundation
import RAAFStreaming
import StreamingTestSupport
import Testing

/// Python's `websockets` (17.x): a real, independent WebSocket client for interop tests.
enum PythonWebSockets {
    static let requirement = "needs python3 with websockets 17 (`pip install websockets`, done by scripts/install-deps.sh)"

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Interop/interop.py")

    /// Whether `python3` can import websockets 13 or later here (checked once per run).
    static func isAvailable() async -> Bool { await availability.value }

    private static let availability = Task<Bool, Never> {
        guard let python = ChildProcess.find("python3") else { return false }
        let output = try? await ChildProcess.run(
            python,
            ["-c", "import websockets, sys; sys.exit(0 if int(websockets.__version__.split('.')[0]) >= 13 else 3)"],
            environment: ProcessInfo.processInfo.environment
        )
        return output?.status == 0
    }

    /// The environment of a scenario: no bytecode files written into the source tree.
    static func environment(control: URL? = nil) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        if let control { environment["INTEROP_CONTROL"] = control.path }
        return environment
    }

    /// Runs one scenario of `Interop/interop.py` against `url` to its end; returns its output.
    static func run(_ scenario: String, url: String, _ arguments: [String] = []) async throws -> ChildProcess.Output {
        guard let python = ChildProcess.find("python3") else { throw PythonMissing() }
        return try await ChildProcess.run(python, [script.path, scenario, url] + arguments, environment: environment())
    }

    struct PythonMissing: Error {}
}

extension Trait where Self == ConditionTrait {
    /// Skips the suite, saying why, when Python's `websockets` is not installed.
    static var needsPythonWebSockets: Self {
        .enabled(Comment(rawValue: PythonWebSockets.requirement)) { await PythonWebSockets.isAvailable() }
    }
}

extension ChildProcess.Output {
    /// Everything the scenario printed, for failure messages.
    var transcript: String { stdout + stderr }

    /// The scenario's findings: its last line of standard output, parsed as JSON.
    var result: JSONValue? {
        guard let line = stdout.split(separator: "\n").last else { return nil }
        return try? JSONValue(parsing: String(line))
    }
}

/// A scenario running in the background while the test acts on the server.
///
/// The test and the scenario wait for each other through files in a folder of their own
/// (`$INTEROP_CONTROL`): the scenario signals "subscribed", the test waits for it with a
/// deadline, acts, then signals "published" back.
final class BackgroundScenario: Sendable {
    let control: URL
    let child: RunningChild

    init(_ scenario: String, url: String, _ arguments: [String] = []) throws {
        guard let python = ChildProcess.find("python3") else { throw PythonWebSockets.PythonMissing() }
        control = FileManager.default.temporaryDirectory.appendingPathComponent("interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: control, withIntermediateDirectories: true)
        child = try RunningChild(
            python,
            [PythonWebSockets.script.path, scenario, url] + arguments,
            environment: PythonWebSockets.environment(control: control)
        )
    }

    /// Starts `scenario`, runs `body` with it, and stops the scenario if `body` throws.
    static func run<Result>(
        _ scenario: String,
        url: String,
        _ arguments: [String] = [],
        _ body: (BackgroundScenario) async throws -> Result
    ) async throws -> Result {
        let running = try BackgroundScenario(scenario, url: url, arguments)
        do {
            return try await body(running)
        } catch {
            await running.stop()
            throw error
        }
    }

    /// Waits until the scenario signals `name`; fails at once, with its output, if it ended first.
    func waitFor(_ name: String, timeout: Duration = .seconds(60)) async throws {
        let path = control.appendingPathComponent(name).path
        try await waitUntil(timeout: timeout, "the scenario to signal \(name)") {
            FileManager.default.fileExists(atPath: path) || self.child.hasExited
        }
        if !FileManager.default.fileExists(atPath: path) {
            throw ScenarioEnded(signal: name, output: try await child.text())
        }
    }

    /// Signals `name` to the scenario.
    func signal(_ name: String) throws {
        try Data("1".utf8).write(to: control.appendingPathComponent(name))
    }

    /// Waits for the scenario's end; its output (standard output and error together) and status.
    func finish(timeout: Duration = .seconds(120)) async throws -> ChildProcess.Output {
        defer { try? FileManager.default.removeItem(at: control) }
        let status: Int32
        do {
            status = try await child.waitForExit(timeout: timeout)
        } catch {
            await child.stop()
            throw error
        }
        return ChildProcess.Output(status: status, stdout: try await child.text(), stderr: "")
    }

    /// Ends a scenario the test gave up on.
    func stop() async {
        await child.stop()
        try? FileManager.default.removeItem(at: control)
    }

    struct ScenarioEnded: Error, CustomStringConvertible {
        var signal: String
        var output: String
        var description: String { "the scenario ended before signalling \(signal):\n\(output)" }
    }
}
