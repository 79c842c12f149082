import Tracing

/// The trace context a job carries from its `enqueue` to the worker that runs it: the
/// bootstrapped tracer's propagation headers (W3C `traceparent` and `tracestate` with
/// swift-otel) in a string dictionary stored with the job, so one trace spans the request
/// that enqueued the job, the queue and the run.
public enum JobTraceContext {
    /// The current service context's propagation headers, or `nil` when there is no tracer
    /// or nothing to carry.
    public static func inject(tracer: (any Tracer)? = nil) -> [String: String]? {
        guard let tracer = Traces.tracer(tracer), let context = ServiceContext.current else { return nil }
        var carrier: [String: String] = [:]
        tracer.inject(context, into: &carrier, using: DictionaryInjector())
        return carrier.isEmpty ? nil : carrier
    }

    /// Runs `body` in a `<operation>` consumer span (`withSpan`: a thrown error is recorded on
    /// it) whose parent is the context in `carrier` (or none), with that span as the current
    /// context; without a tracer, just `body`.
    static func consume<Result: Sendable>(
        _ operation: String, carrier: [String: String]?, tracer: (any Tracer)?, attributes: [String: String] = [:],
        _ body: () async throws -> Result
    ) async throws -> Result {
        guard let tracer = Traces.tracer(tracer) else { return try await body() }
        var parent = ServiceContext.topLevel
        if let carrier { tracer.extract(carrier, into: &parent, using: DictionaryExtractor()) }
        return try await tracer.withSpan(operation, context: parent, ofKind: .consumer) { span in
            for (key, value) in attributes { span.attributes[key] = value }
            return try await body()
        }
    }
}

struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }
}

struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key]
    }
}
