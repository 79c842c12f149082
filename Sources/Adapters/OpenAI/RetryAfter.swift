import Foundation
import NIOHTTP1

/// Reads how long a server asks us to wait: `retry-after-ms` (OpenAI's), then
/// `Retry-After` as seconds or as an HTTP date.
enum RetryAfter {
    static func duration(in headers: HTTPHeaders, now: Date = Date()) -> Duration? {
        if let milliseconds = headers.first(name: "retry-after-ms").flatMap(Double.init), milliseconds >= 0 {
            return .milliseconds(Int64(milliseconds.rounded(.up)))
        }
        guard let value = headers.first(name: "retry-after")?.trimmingCharacters(in: .whitespaces) else {
            return nil
        }
        if let seconds = Double(value), seconds >= 0 {
            return .milliseconds(Int64((seconds * 1000).rounded(.up)))
        }
        guard let date = httpDate.date(from: value) else { return nil }
        let seconds = max(0, date.timeIntervalSince(now))
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }

    /// RFC 9110's IMF-fixdate, the only date form servers send today.
    private static var httpDate: DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter
    }
}
