import Foundation
import StreamingTestSupport
import Testing

/// `raaf-streaming chat` prints each token of a real HTTP model's answer before the model
/// sends the next: the model (Fixtures/gated_model.py) sends token k only once the test has
/// released it, and the test releases k+1 only once the command has printed k.
@Suite("raaf-streaming chat streams a real model's answer", .serialized)
struct ChatStreamingTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Support/Fixtures/gated_model.py")
    static let tokens = 6

    static func text(upTo count: Int) -> String {
        (1...count).map { "t\($0) " }.joined()
    }

    @Test("text and --json output, token by token", arguments: [false, true])
    func tokenByToken(json: Bool) async throws {
        let python = try #require(ChildProcess.find("python3"), "needs python3")
        let control = FileManager.default.temporaryDirectory.appendingPathComponent("gated-\(UUID().uuidString)")
        try Data("0".utf8).write(to: control)
        defer { try? FileManager.default.removeItem(at: control) }
        let model = try RunningChild(python, [Self.script.path, control.path, String(Self.tokens)])
        let portLine = try await model.line(containing: "PORT ")
        let port = try #require(portLine.split(separator: " ").last.map(String.init))

        var environment = ProcessInfo.processInfo.environment
        for name in ["OPENAI_API_KEY", "RAAF_MODEL", "RAAF_LOG_LEVEL", "RAAF_LOG_FORMAT"] { environment[name] = nil }
        environment["OPENAI_BASE_URL"] = "http://127.0.0.1:\(port)/v1"
        environment["RAAF_SIMULATION_DELAY_MS"] = "0"
        let arguments = ["chat"] + (json ? ["--json"] : []) + ["--agent", "support", "hello"]
        let chat = try RunningChild(try ChildProcess.built("raaf-streaming"), arguments, environment: environment)
        do {
            for count in 1...Self.tokens {
                try Data(String(count).utf8).write(to: control)
                try await waitUntil("the command to print token \(count) before the model may send the next") {
                    json
                        ? chat.outputSoFar.contains("\"content\":\"t\(count) \"")
                        : chat.outputSoFar.contains(Self.text(upTo: count))
                }
            }
            #expect(try await chat.waitForExit() == 0)
        } catch {
            await chat.stop()
            await model.stop()
            throw error
        }
        await model.stop()
    }
}
