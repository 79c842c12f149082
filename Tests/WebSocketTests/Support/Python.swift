import Foundation
import StreamingTestSupport

/// Python's `websockets` (17.x): a real, independent WebSocket client for interop tests.
enum PythonWebSockets {
    static let requirement = "needs python3 with websockets 17 (`pip install websockets`, done by scripts/install-deps.sh)"

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Interop/interop.py")

    /// Whether `python3` can import websockets 13 or later here.
    static func isAvailable() async -> Bool {
        guard let python = ChildProcess.find("python3") else { return false }
        let output = try? await ChildProcess.run(
            python,
            ["-c", "import websockets, sys; sys.exit(0 if int(websockets.__version__.split('.')[0]) >= 13 else 3)"],
            environment: ProcessInfo.processInfo.environment
        )
        return output?.status == 0
    }

    /// Runs one scenario of `Interop/interop.py` against `url`; returns its output.
    static func run(_ scenario: String, url: String, _ arguments: [String] = []) async throws -> ChildProcess.Output {
        guard let python = ChildProcess.find("python3") else { throw PythonMissing() }
        return try await ChildProcess.run(
            python,
            [script.path, scenario, url] + arguments,
            environment: ProcessInfo.processInfo.environment
        )
    }

    struct PythonMissing: Error {}
}
