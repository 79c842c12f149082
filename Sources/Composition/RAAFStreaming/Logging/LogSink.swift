#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a log handler writes: called once per log line, with the line without its trailing newline.
public typealias LogSink = @Sendable (String) -> Void

extension StreamingLogging {
    /// Writes each line and its newline to standard error with one `write` call, so lines
    /// from concurrent tasks do not interleave.
    public static let standardError: LogSink = { line in
        var text = line
        text.append("\n")
        text.withUTF8 { bytes in
            guard var next = bytes.baseAddress else { return }
            var remaining = bytes.count
            while remaining > 0 {
                let written = write(2, next, remaining)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                next += written
                remaining -= written
            }
        }
    }
}
