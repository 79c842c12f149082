import StreamingApplication
import StreamingDomain

/// The events of one agent stream, as ``WebSocketClient/startAgentStream(agent:input:id:)``
/// returns them: each event once, in `seq` order, across reconnects.
///
/// Iterate it once. It ends after the `complete` event, or throws the stream's
/// ``StreamingDomain/StreamingError``. Cancelling the iterating task, or dropping the
/// sequence before its end, cancels the run on the server.
public struct AgentEventStream: AsyncSequence, Sendable {
    public typealias Element = AgentStreamEvent
    public typealias Failure = StreamingError

    /// The stream's id, as the server knows it.
    public let id: String
    let base: AsyncThrowingStream<AgentStreamEvent, any Error>
    /// Called for every event the consumer reads, so the client knows its buffer drains.
    let consumed: (@Sendable () -> Void)?

    init(id: String, base: AsyncThrowingStream<AgentStreamEvent, any Error>, consumed: (@Sendable () -> Void)? = nil) {
        self.id = id
        self.base = base
        self.consumed = consumed
    }

    /// The iterator; make one per stream.
    public func makeAsyncIterator() -> Iterator { Iterator(base: base.makeAsyncIterator(), consumed: consumed) }

    /// Iterates the events in `seq` order; throws the stream's ``StreamingDomain/StreamingError``.
    public struct Iterator: AsyncIteratorProtocol {
        public typealias Element = AgentStreamEvent
        public typealias Failure = StreamingError

        var base: AsyncThrowingStream<AgentStreamEvent, any Error>.AsyncIterator
        let consumed: (@Sendable () -> Void)?

        /// The next event, or `nil` after `complete` (or once the iterating task is cancelled).
        public mutating func next() async throws(StreamingError) -> AgentStreamEvent? {
            do {
                return taken(try await base.next())
            } catch {
                throw Self.typed(error)
            }
        }

        /// The next event, on the caller's actor; see ``next()``.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(StreamingError)
            -> AgentStreamEvent?
        {
            do {
                return taken(try await base.next(isolation: actor))
            } catch {
                throw Self.typed(error)
            }
        }

        private func taken(_ event: AgentStreamEvent?) -> AgentStreamEvent? {
            if event != nil { consumed?() }
            return event
        }

        static func typed(_ error: any Error) -> StreamingError {
            (error as? StreamingError) ?? .cancelled
        }
    }

    /// Reads the stream to its end and returns the answer: the text of every
    /// `response_chunk`, joined, and the `complete` event's report.
    public func collect() async throws(StreamingError) -> (text: String, completion: AgentStreamCompletion?) {
        var text = ""
        var completion: AgentStreamCompletion?
        var iterator = makeAsyncIterator()
        while let event = try await iterator.next() {
            switch event.kind {
            case .content(let chunk): text += chunk
            case .complete(let report): completion = report
            default: break
            }
        }
        return (text, completion)
    }
}
