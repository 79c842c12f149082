import Foundation
import Logging
import StreamingApplication
import Testing

@testable import RAAFStreaming

@Suite("Logging setup")
struct LoggingSetupTests {
    @Test func factoryFollowsTheFormatAndLevel() {
        let json = StreamingLogging.makeHandlerFactory(
            LoggingSettings(level: .debug, format: .json), redactor: SecretRedactor())("a")
        let text = StreamingLogging.makeHandlerFactory(
            LoggingSettings(level: .error, format: .text), redactor: SecretRedactor())("b")
        #expect(json is JSONLogHandler)
        #expect(json.logLevel == .debug)
        #expect(text is TextLogHandler)
        #expect(text.logLevel == .error)
    }

    @Test func factoryWritesToTheSink() throws {
        let lines = CapturedLines()
        let factory = StreamingLogging.makeHandlerFactory(
            LoggingSettings(format: .json), redactor: SecretRedactor(), sink: lines.sink)
        Logger(label: LogLabel.chat, factory: factory).info("joined")
        Logger(label: LogLabel.chat, factory: factory).debug("below info")
        #expect(lines.all.count == 1)
        #expect(try jsonObject(lines.all[0])["label"] as? String == "raaf.chat")
    }

    @Test func onceGateLetsOnlyTheFirstCallerThrough() async {
        let gate = OnceGate()
        let passed = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<32 { group.addTask { gate.claim() } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(passed == 1)
        #expect(!gate.claim())
    }

    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (951_782_400.5, "2000-02-29T00:00:00.500Z"),
        (1_795_255_200.123, "2026-11-21T10:00:00.123Z"),
        (4_102_444_799.999, "2099-12-31T23:59:59.999Z"),
        (-0.001, "1969-12-31T23:59:59.999Z"),
    ])
    func timestamps(_ seconds: Double, _ expected: String) {
        #expect(ISO8601Timestamp.string(from: Date(timeIntervalSince1970: seconds)) == expected)
    }
}
