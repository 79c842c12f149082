import Foundation
import Logging
import StreamingApplication
import StreamingDomain
import Testing

@testable import RAAFStreaming

@Suite("Text log handler")
struct TextLogHandlerTests {
    func logger(_ lines: CapturedLines, level: Logger.Level = .trace) -> Logger {
        Logger(label: LogLabel.events) { label in
            TextLogHandler(label: label, logLevel: level, sink: lines.sink, now: { fixedDate })
        }
    }

    @Test func writesTimestampLevelLabelMessageAndMetadata() {
        let lines = CapturedLines()
        logger(lines).info("emitted", metadata: ["topic": "user.created", "count": .stringConvertible(3)])
        #expect(lines.all == ["2026-11-21T10:00:00.123Z info raaf.events: emitted count=3 topic=user.created"])
    }

    @Test func messageWithoutMetadata() {
        let lines = CapturedLines()
        logger(lines).warning("slow consumer")
        #expect(lines.all == ["2026-11-21T10:00:00.123Z warning raaf.events: slow consumer"])
    }

    @Test func quotesValuesThatNeedIt() {
        let lines = CapturedLines()
        logger(lines).info(
            "m",
            metadata: ["a": "two words", "b": "", "c": "x=y", "d": ["k": "v"], "e": ["1", "2"]]
        )
        #expect(
            lines.all == [
                #"2026-11-21T10:00:00.123Z info raaf.events: m a="two words" b="" c="x=y" d={"k":"v"} e=["1","2"]"#
            ])
    }

    @Test func keepsEachEventOnOneLine() throws {
        let lines = CapturedLines()
        logger(lines).error("line one\nline two", error: StreamingError.cancelled)
        let line = try #require(lines.all.first)
        #expect(!line.contains("\n"))
        #expect(line == #"2026-11-21T10:00:00.123Z error raaf.events: line one\nline two error="cancelled""#)
    }

    @Test func respectsLevel() {
        let lines = CapturedLines()
        let logger = logger(lines, level: .error)
        logger.debug("hidden")
        logger.critical("shown")
        #expect(lines.all.count == 1)
        #expect(lines.all.first?.contains(" critical raaf.events: shown") == true)
    }
}
