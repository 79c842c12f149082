import Foundation
import Logging
import StreamingApplication
import StreamingDomain
import Testing

@testable import RAAFStreaming

@Suite("JSON log handler")
struct JSONLogHandlerTests {
    func logger(
        _ lines: CapturedLines,
        level: Logger.Level = .trace,
        provider: Logger.MetadataProvider? = nil
    ) -> Logger {
        Logger(label: LogLabel.events) { label in
            JSONLogHandler(
                label: label, logLevel: level, metadataProvider: provider, sink: lines.sink, now: { fixedDate })
        }
    }

    @Test func writesOneObjectPerLineWithTheFields() throws {
        let lines = CapturedLines()
        var logger = logger(lines)
        logger[metadataKey: "component"] = "bus"
        logger.info("emitted", metadata: ["topic": "user.created", "count": .stringConvertible(3)])

        let line = try #require(lines.all.first)
        #expect(lines.all.count == 1)
        #expect(!line.contains("\n"))
        let object = try jsonObject(line)
        #expect(object["ts"] as? String == "2026-11-21T10:00:00.123Z")
        #expect(object["level"] as? String == "info")
        #expect(object["label"] as? String == "raaf.events")
        #expect(object["message"] as? String == "emitted")
        #expect(object["topic"] as? String == "user.created")
        #expect(object["count"] as? String == "3")
        #expect(object["component"] as? String == "bus")
        #expect(object["source"] as? String == "RAAFStreamingTests")
        #expect(
            line.hasPrefix(
                "{\"ts\":\"2026-11-21T10:00:00.123Z\",\"level\":\"info\",\"label\":\"raaf.events\",\"message\":\"emitted\","
            ))
    }

    @Test func everyLevelIsNamed() throws {
        let lines = CapturedLines()
        let logger = logger(lines)
        for level in Logger.Level.allCases { logger.log(level: level, "x") }
        let levels = try lines.all.map { try jsonObject($0)["level"] as? String }
        #expect(levels == ["trace", "debug", "info", "notice", "warning", "error", "critical"])
    }

    @Test func levelsBelowTheHandlersAreDropped() {
        let lines = CapturedLines()
        let logger = logger(lines, level: .warning)
        logger.info("hidden")
        logger.warning("shown")
        #expect(lines.all.count == 1)
    }

    @Test func escapesAndNestedMetadata() throws {
        let lines = CapturedLines()
        logger(lines).notice(
            "quote \" backslash \\ newline \n tab \t bell \u{07} émoji 🚀",
            metadata: ["nested": ["a": ["1", "2"], "b": "c"], "message": "clash"]
        )
        let object = try jsonObject(try #require(lines.all.first))
        #expect(object["message"] as? String == "quote \" backslash \\ newline \n tab \t bell \u{07} émoji 🚀")
        let nested = try #require(object["nested"] as? [String: Any])
        #expect(nested["a"] as? [String] == ["1", "2"])
        #expect(nested["b"] as? String == "c")
        #expect(object["meta.message"] as? String == "clash")
    }

    @Test func metadataMergeOrderCallWinsOverProviderOverHandler() throws {
        let lines = CapturedLines()
        let provider = Logger.MetadataProvider { ["request": "from-provider", "trace": "t-1"] }
        var logger = logger(lines, provider: provider)
        logger[metadataKey: "request"] = "from-handler"
        logger[metadataKey: "stream"] = "s-1"
        logger.info("one")
        logger.info("two", metadata: ["request": "from-call"])
        let first = try jsonObject(lines.all[0])
        let second = try jsonObject(lines.all[1])
        #expect(first["request"] as? String == "from-provider")
        #expect(first["trace"] as? String == "t-1")
        #expect(first["stream"] as? String == "s-1")
        #expect(second["request"] as? String == "from-call")
    }

    @Test func errorIsWritten() throws {
        let lines = CapturedLines()
        logger(lines).error("run failed", error: StreamingError.timeout("model"))
        let object = try jsonObject(try #require(lines.all.first))
        #expect(object["error"] as? String == "timed out: model")
    }

    @Test func sourceCanBeLeftOut() throws {
        let lines = CapturedLines()
        let logger = Logger(label: "x") { JSONLogHandler(label: $0, includeSource: false, sink: lines.sink) }
        logger.info("hello")
        #expect(try jsonObject(try #require(lines.all.first))["source"] == nil)
    }

    @Test func decodesIntoJSONValue() throws {
        let lines = CapturedLines()
        logger(lines).info("hi", metadata: ["n": ["deep": ["x": "y"]]])
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(try #require(lines.all.first).utf8))
        #expect(value["n"]?["deep"]?["x"] == "y")
        #expect(value["label"]?.stringValue == "raaf.events")
    }
}
