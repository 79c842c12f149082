import AsyncHTTPClient
import NIOCore
import StreamingApplication
import StreamingDomain

/// The deltas of one streamed answer, parsed from the HTTP body as it arrives.
///
/// Each network read goes through the SSE parser and the chunk decoder in one pass; the
/// deltas it held are then handed out one by one. Dropping the iterator or cancelling
/// the consuming task ends the HTTP request.
struct ChatCompletionStream: AsyncSequence {
    typealias Element = ModelDelta
    let body: HTTPClientResponse.Body
    let status: Int

    func makeAsyncIterator() -> Iterator {
        Iterator(body: body.makeAsyncIterator(), status: status)
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

        init(body: HTTPClientResponse.Body.AsyncIterator, status: Int) {
            self.body = body
            self.status = status
        }

        mutating func next() async throws -> ModelDelta? {
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

private func take<Value>(_ value: inout Value, _ replacement: Value) -> Value {
    let taken = value
    value = replacement
    return taken
}
