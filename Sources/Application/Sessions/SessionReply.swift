import StreamingDomain
import Synchronization

/// The streamed answer of a ``StreamingSession`` to one message: the events of one agent
/// run over the session's history, as ``AgentRunStream`` produces them.
///
/// Iterating starts the turn. The run sees the history as it stands at that moment, plus
/// the new user message; when its `complete` event arrives, the session has already taken
/// the run's conversation as its history and the run's last agent as its agent.
///
/// - A reply may be iterated once; iterating it again throws ``StreamingError/invalidInput(_:)``.
/// - Starting to iterate while another reply of the same session is in flight throws
///   ``StreamingError/invalidInput(_:)``: replies do not queue.
/// - A turn that fails, is cancelled (``StreamingError/cancelled``), or whose consumer
///   stops before `complete` leaves the session as it was, and frees it for the next message.
public struct SessionReply: AsyncSequence, Sendable {
    public typealias Element = StreamEvent
    public typealias Failure = any Error

    /// The user message this reply answers.
    public let message: String
    let session: StreamingSession
    private let started = Once()

    init(session: StreamingSession, message: String) {
        self.session = session
        self.message = message
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(reply: self)
    }

    /// Marks the reply as iterated; `false` when it already was.
    fileprivate func claim() -> Bool {
        started.flag.exchange(true, ordering: .acquiringAndReleasing) == false
    }

    private final class Once: Sendable {
        let flag = Atomic(false)
    }

    public struct Iterator: AsyncIteratorProtocol {
        private let reply: SessionReply
        private var events: AgentRunStream.Iterator?
        private var lease: AnswerLease?
        private var finished = false

        init(reply: SessionReply) {
            self.reply = reply
        }

        public mutating func next() async throws -> StreamEvent? {
            guard !finished else { return nil }
            if events == nil { try start() }
            do {
                guard let event = try await events!.next() else {
                    // The run ends only after `complete` or by throwing; never commit without it.
                    finish()
                    return nil
                }
                if case .complete(let result) = event.kind {
                    lease?.commit(result)
                    finish()
                }
                return event
            } catch {
                finish()
                throw error
            }
        }

        private mutating func start() throws {
            guard reply.claim() else {
                finished = true
                throw StreamingError.invalidInput("this reply was already iterated; send the message again")
            }
            let start: StreamingSession.AnswerStart
            do {
                start = try reply.session.beginAnswer()
            } catch {
                finished = true
                throw error
            }
            lease = start.lease
            events = reply.session.runner
                .stream(start.agent, messages: start.history + [.user(reply.message)])
                .makeAsyncIterator()
        }

        private mutating func finish() {
            finished = true
            events = nil
            lease?.release()
            lease = nil
        }
    }
}
