import DequeModule
import StreamingDomain
import Synchronization

/// One agent run as clients see it: its frames, kept for replay, and who follows it.
///
/// The run appends frames; connections follow it (frames are pushed to them), and readers
/// such as the SSE endpoint pull them with ``frames(after:)``. Replay and live delivery
/// happen under one lock, so a follower who resumes after `seq` N receives N+1, N+2...
/// exactly once and in order, whether those frames were already kept or are still to come.
public final class AgentStream: Sendable {
    public let id: String
    /// The name of the agent that runs.
    public let agentName: String
    /// The user message the run answers.
    public let input: String
    /// The identity that started the stream, when authentication is on.
    public let owner: String?
    /// The node that runs the stream, when it is another node of the cluster: this stream is
    /// then a mirror of the shared log, fed by it. `nil` for a stream run here.
    public let runningOn: String?

    struct State {
        var frames: Deque<StreamFrame> = []
        var lastSeq = 0
        var finishedAt: ContinuousClock.Instant?
        var followers: [ConnectionID: Connection] = [:]
        var readers: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextReaderID = 0
    }

    let maxFrames: Int
    let state: Mutex<State>
    private let cancelRequest = OneWaySignal()
    /// Why the run was stopped, when not by a client's `cancel`: a draining server's grace
    /// ran out (`shutting_down`), the cluster declared the node lost (`node_lost`), or the
    /// log stayed unreachable (`cluster_unavailable`). The final frame then carries it.
    let stopFailure = Mutex<ProtocolFailure?>(nil)

    init(id: String, agentName: String, input: String, owner: String?, maxFrames: Int, runningOn: String? = nil) {
        self.id = id
        self.agentName = agentName
        self.input = input
        self.owner = owner
        self.runningOn = runningOn
        self.maxFrames = max(1, maxFrames)
        self.state = Mutex(State())
    }

    /// The sequence number of the last frame so far (0 before the first).
    public var lastSeq: Int { state.withLock { $0.lastSeq } }

    /// Whether the stream has sent its `complete` or `error` frame.
    public var isFinished: Bool { state.withLock { $0.finishedAt != nil } }

    var finishedAt: ContinuousClock.Instant? { state.withLock { $0.finishedAt } }

    /// Readers (SSE responses) waiting for the next frame.
    var waitingReaders: Int { state.withLock { $0.readers.count } }

    /// Appends the next frame and pushes it to every follower.
    func append(_ frame: StreamFrame) {
        _ = append(frame, onlyIfNext: false)
    }

    /// Appends `frame` if it is the next one (seq `lastSeq + 1`), or the first one; returns
    /// whether it did. A mirror is fed by two tasks (live batches, and catching up from the
    /// log) that may offer the same frame.
    func appendIfNext(_ frame: StreamFrame) -> Bool {
        append(frame, onlyIfNext: true)
    }

    private func append(_ frame: StreamFrame, onlyIfNext: Bool) -> Bool {
        let readers = state.withLock { state -> [CheckedContinuation<Void, Never>]? in
            if onlyIfNext {
                guard state.finishedAt == nil else { return nil }
                guard frame.seq == state.lastSeq + 1 || (state.lastSeq == 0 && state.frames.isEmpty) else { return nil }
            }
            state.frames.append(frame)
            if state.frames.count > maxFrames { state.frames.removeFirst() }
            state.lastSeq = frame.seq
            if frame.isFinal { state.finishedAt = .now }
            // Pushed under the lock so a concurrent `follow` cannot interleave its replay.
            for follower in state.followers.values { follower.deliver(frame.frame) }
            if frame.isFinal { state.followers.removeAll() }
            let readers = Array(state.readers.values)
            state.readers.removeAll()
            return readers
        }
        guard let readers else { return false }
        for reader in readers { reader.resume() }
        return true
    }

    /// Sends `connection` every kept frame after `afterSeq`, then every later frame as it comes.
    ///
    /// Returns `nil` when the frames after `afterSeq` are no longer kept (the replay buffer
    /// overflowed), so the follower cannot be served without a gap.
    func follow(_ connection: Connection, after afterSeq: Int, announce: (_ lastSeq: Int, _ finished: Bool) -> OutboundFrame?)
        -> Bool
    {
        state.withLock { state in
            let firstKept = state.frames.first?.seq ?? (state.lastSeq + 1)
            guard afterSeq + 1 >= firstKept || afterSeq >= state.lastSeq else { return false }
            if let notice = announce(state.lastSeq, state.finishedAt != nil) { connection.deliver(notice) }
            for frame in state.frames where frame.seq > afterSeq { connection.deliver(frame.frame) }
            if state.finishedAt == nil { state.followers[connection.id] = connection }
            return true
        }
    }

    /// Stops pushing frames to `connection`.
    func unfollow(_ id: ConnectionID) {
        _ = state.withLock { $0.followers.removeValue(forKey: id) }
    }

    /// The frames after `seq`, then the live ones, until the stream ends.
    ///
    /// For pull-based transports (Server-Sent Events). Iteration throws
    /// ``StreamingError/notFound(_:)`` if a frame it needs was already forgotten.
    public func frames(after seq: Int = 0) -> Frames { Frames(stream: self, cursor: seq, stop: nil) }

    /// The frames after `seq`, as ``frames(after:)``, ending early (without an error) once
    /// `stop` is set: a reader whose client has gone away sets it, so it does not stay parked
    /// until the stream's next frame.
    public func frames(after seq: Int, until stop: OneWaySignal) -> Frames {
        Frames(stream: self, cursor: seq, stop: stop)
    }

    /// Wakes every reader waiting for a frame, so that each checks its stop signal.
    public func wakeReaders() {
        let readers = state.withLock { state in
            defer { state.readers.removeAll() }
            return Array(state.readers.values)
        }
        for reader in readers { reader.resume() }
    }

    /// An `AsyncSequence` over a stream's frames; see ``AgentStream/frames(after:)``.
    public struct Frames: AsyncSequence, Sendable {
        public typealias Element = StreamFrame
        public typealias Failure = any Error
        let stream: AgentStream
        let cursor: Int
        let stop: OneWaySignal?

        public func makeAsyncIterator() -> Iterator { Iterator(stream: stream, cursor: cursor, stop: stop) }

        public struct Iterator: AsyncIteratorProtocol {
            let stream: AgentStream
            var cursor: Int
            let stop: OneWaySignal?

            public mutating func next() async throws -> StreamFrame? {
                while true {
                    try Task.checkCancellation()
                    if stop?.isSet == true { return nil }
                    switch stream.frame(after: cursor) {
                    case .frame(let frame):
                        cursor = frame.seq
                        return frame
                    case .end: return nil
                    case .gap: throw StreamingError.notFound("frames after \(cursor) of stream \(stream.id) are no longer kept")
                    case .wait: await stream.waitForFrame(after: cursor)
                    }
                }
            }
        }
    }

    enum Lookup { case frame(StreamFrame), end, gap, wait }

    func frame(after seq: Int) -> Lookup {
        state.withLock { state in
            if seq >= state.lastSeq { return state.finishedAt != nil ? .end : .wait }
            guard let first = state.frames.first, first.seq <= seq + 1 else { return .gap }
            return .frame(state.frames[seq + 1 - first.seq])
        }
    }

    func waitForFrame(after seq: Int) async {
        let readerID = state.withLock { state -> Int in
            state.nextReaderID += 1
            return state.nextReaderID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.lastSeq > seq || state.finishedAt != nil || Task.isCancelled { return true }
                    state.readers[readerID] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.readers.removeValue(forKey: readerID) }?.resume()
        }
    }

    /// Asks the run to stop; the run ends with an `error` frame coded `cancelled`, or
    /// `shutting_down` when `shuttingDown` (a drain's grace ran out).
    func requestCancel(shuttingDown: Bool = false) {
        if shuttingDown {
            stop(with: ProtocolFailure(.shuttingDown, "the server is shutting down: the stream was stopped", streamID: id))
        } else {
            cancelRequest.set()
        }
    }

    /// Stops the run with `failure` as its final frame (the first reason given wins).
    func stop(with failure: ProtocolFailure) {
        stopFailure.withLock { $0 = $0 ?? failure }
        cancelRequest.set()
    }

    /// Returns once ``requestCancel()`` is called, or when the calling task is cancelled.
    func cancellationRequested() async { await cancelRequest.wait() }
}
