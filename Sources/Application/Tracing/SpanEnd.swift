import Tracing

/// How traced work that reports its end, instead of throwing, ended: what its span records
/// before `withSpan` ends it. A thrown error `withSpan` records by itself.
enum SpanEnd {
    case completed
    /// Ended before finishing without an error of its own (stopped, cancelled): an error
    /// status with `reason`, as for every outcome but a completed one.
    case incomplete(String)
    /// Failed with `error`: recorded on the span, with an error status, as `withSpan` does
    /// for a thrown error.
    case failed(any Error)

    func record(on span: any Span) {
        switch self {
        case .completed:
            break
        case .incomplete(let reason):
            span.setStatus(SpanStatus(code: .error, message: reason))
        case .failed(let error):
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error))
        }
    }
}
