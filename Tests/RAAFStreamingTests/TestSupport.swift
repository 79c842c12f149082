import Foundation
import Logging
import StreamingDomain
import Synchronization
import Testing

@testable import RAAFStreaming

/// Collects the lines a log handler writes.
final class CapturedLines: Sendable {
    private let lines = Mutex<[String]>([])

    var sink: LogSink {
        { line in self.lines.withLock { $0.append(line) } }
    }

    var all: [String] { lines.withLock { $0 } }
}

/// A fixed instant: 2026-11-21T10:00:00.123Z.
let fixedDate = Date(timeIntervalSince1970: 1_795_255_200.123)

/// The variable and reason of the configuration error `body` throws; records an issue otherwise.
func configurationError(
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> (variable: String, reason: String)? {
    do {
        try body()
        Issue.record("expected a configuration error, nothing was thrown", sourceLocation: sourceLocation)
    } catch let StreamingError.configuration(variable, reason) {
        return (variable, reason)
    } catch {
        Issue.record("expected a configuration error, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Parses a JSON log line into an object.
func jsonObject(_ line: String) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(line.utf8))
    return try #require(value as? [String: Any])
}
