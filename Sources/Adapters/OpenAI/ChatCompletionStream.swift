import AsyncHTTPClient
import NIOCore
import StreamingApplication
import StreamingDomain

/// The deltas of one streamed answer, parsed from the HTTP body as it arrives.
///
/// Each network read goes through the SSE parser and the chunk decoder in one pass; the
/// deltas it held are then handed out one by one. Dropping the iterator or cancelling
/// the consuming task ends the HTTP request.
///
/// The request's place in the provider's limit (`permit`) is given back as soon as the
/// answer ends, fails or is dropped; its first delta is counted in the time to first token.
struct ChatCompletionStream: AsyncSequence {
    typealias Element = ModelDelta
    let body: HTTPClientResponse.Body
    let status: Int
    let request: RequestInFlight?

    init(body: HTTPClientResponse.Body, status: Int, request: RequestInFlight? = nil) {
        self.body = body
        self.status = status
        self.request = request
    }

    func makeAsyncIterator() -> Iterator {
        Iterator(body: body.makeAsyncIterator(), status: status, request: request)
    }

    struct Iterator: AsyncIteratorProtocol {
        private var body: HTTPClientResponse.Body.AsyncIterator
        private let status: Int
        private var parser = ServerSentEventParser()
        private let decoder = ChatCompletionChunkDecoder()
        private var pending: [ModelDelta] = []
        private var pendingIndex = 0
        private var sawDone = false
        private var sawFinish = false
        private var ended = false
        /// The request's place and start; `nil` once given back.
        private var request: RequestInFlight?
        private var awaitingFirstDelta = true

        init(body: HTTPClientResponse.Body.AsyncIterator, status: Int, request: RequestInFlight? = nil) {
            self.body = body
            self.status = status
            self.request = request
        }

        mutating func next() async throws -> ModelDelta? {
            do {
                let delta = try await nextDelta()
                if delta == nil {
                    request?.release()
                    request = nil
                } else if awaitingFirstDelta {
                    awaitingFirstDelta = false
                    request?.firstDeltaArrived()
                }
                return delta
            } catch {
                request?.release()
                request = nil
                throw error
            }
        }

        private mutating func nextDelta() async throws -> ModelDelta? {
            while true {
                if pendingIndex < pending.count {
                    defer { pendingIndex += 1 }
                    return pending[pendingIndex]
                }
                if ended { return nil }
                pending.removeAll(keepingCapacity: true)
                pendingIndex = 0
                let chunk: ByteBuffer?
                do {
                    chunk = try await body.next()
                } catch {
                    ended = true
                    throw ChatCompletionStream.translate(error, apiKey: nil)
                }
                guard let chunk else {
                    ended = true
                    if Task.isCancelled { throw CancellationError() }
                    if !sawDone && !sawFinish {
                        throw StreamingError.connection("the stream ended before [DONE]")
                    }
                    return nil
                }
                guard !sawDone else { continue }
                try parse(chunk)
            }
        }

        private mutating func parse(_ chunk: ByteBuffer) throws {
            // Moved out of `self` for the duration, so the closure can use them while the
            // parser is being mutated, without copying their storage.
            var parser = take(&self.parser, ServerSentEventParser())
            var pending = take(&self.pending, [])
            defer {
                self.parser = parser
                self.pending = pending
            }
            let decoder = self.decoder
            var sawDone = self.sawDone
            try chunk.withUnsafeReadableBytes { bytes in
                try parser.feed(bytes) { event in
                    guard !sawDone else { return }
                    if try decoder.decode(event.data, into: &pending) == .done { sawDone = true }
                }
            }
            self.sawDone = sawDone
            if !sawFinish {
                sawFinish = pending.contains { if case .finish = $0 { true } else { false } }
            }
        }
    }

    /// Maps HTTP client errors to ``StreamingError``; cancellation stays cancellation.
    static func translate(_ error: any Error, apiKey: String?) -> any Error {
        if error is CancellationError || error is StreamingError { return error }
        if let httpError = error as? HTTPClientError {
            switch httpError {
            case .readTimeout:
                return StreamingError.timeout("no data from the model server within the idle timeout")
            case .connectTimeout:
                return StreamingError.timeout("could not connect to the model server in time")
            case .getConnectionFromPoolTimeout:
                // Within the provider's own limit this means no connection could be made in
                // the connect timeout (or an HTTP/2 server allows fewer streams than the limit).
                return StreamingError.timeout("no connection to the model server within the connect timeout")
            case .cancelled:
                return CancellationError()
            default:
                break
            }
        }
        var description = String(describing: error)
        if let apiKey, !apiKey.isEmpty {
            description = description.replacing(apiKey, with: "[redacted]")
        }
        return StreamingError.connection(description)
    }
}

/// A model request admitted by the provider's ``RequestLimiter``: its place, and when the
/// call to the provider began, for the time to first token.
struct RequestInFlight: Sendable {
    let permit: RequestPermit
    let lane: LaneLease
    let limiter: RequestLimiter
    let began: ContinuousClock.Instant

    /// Gives the request's place back, in the limiter and on its lane.
    func release() {
        lane.release()
        permit.release()
    }

    func firstDeltaArrived() {
        limiter.recordFirstToken(after: began.duration(to: .now))
    }
}

private func take<Value>(_ value: inout Value, _ replacement: Value) -> Value {
    let taken = value
    value = replacement
    return taken
}
