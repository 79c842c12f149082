import DequeModule
import StreamingApplication
import Synchronization

/// A ``StreamLog`` in this process, shared by the nodes (hubs) that use the same instance:
/// the cluster's stream logic without Redis, for tests and for several hubs in one program.
/// Leases run on the continuous clock; expired entries are dropped as they are met.
public final class InMemoryStreamLog: StreamLog {
    public let options: StreamLogOptions

    private struct Entry {
        var record: StreamRecord
        var frames: Deque<StreamFrame> = []
        var leaseUntil: ContinuousClock.Instant?
        var expiresAt: ContinuousClock.Instant
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var followers: [String: [Int: AsyncStream<[StreamFrame]>.Continuation]] = [:]
        var cancelListeners: [String: [Int: AsyncStream<String>.Continuation]] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    public init(options: StreamLogOptions = StreamLogOptions()) {
        self.options = options
    }

    public func create(_ record: StreamRecord) async throws -> Bool {
        let now = ContinuousClock.now
        return state.withLock { state in
            if let existing = state.entries[record.id], existing.expiresAt > now { return false }
            var record = record
            record.lastSeq = 0
            record.isFinished = false
            state.entries[record.id] = Entry(
                record: record, leaseUntil: now + options.lease, expiresAt: now + options.lease + options.retention)
            return true
        }
    }

    public func append(_ frames: [StreamFrame], to id: String, node: String, final: Bool) async throws {
        let now = ContinuousClock.now
        let (added, followers) = try state.withLock { state throws -> ([StreamFrame], [AsyncStream<[StreamFrame]>.Continuation]) in
            guard var entry = state.entries[id], entry.expiresAt > now else { throw StreamLogError.missing(id) }
            guard Self.holds(entry, node: node, now: now) else { throw StreamLogError.fenced(id) }
            let added = frames.filter { $0.seq > entry.record.lastSeq }
            for frame in added {
                entry.frames.append(frame)
                if entry.frames.count > options.maxFrames { entry.frames.removeFirst() }
                entry.record.lastSeq = frame.seq
            }
            if final {
                entry.record.isFinished = true
                entry.leaseUntil = nil
                entry.expiresAt = now + options.retention
            } else {
                entry.leaseUntil = now + options.lease
                entry.expiresAt = now + options.lease + options.retention
            }
            state.entries[id] = entry
            return (added, Array(state.followers[id, default: [:]].values))
        }
        guard !added.isEmpty else { return }
        for follower in followers { follower.yield(added) }
    }

    public func renew(_ id: String, node: String) async throws {
        let now = ContinuousClock.now
        try state.withLock { state throws in
            guard var entry = state.entries[id], entry.expiresAt > now else { throw StreamLogError.missing(id) }
            guard Self.holds(entry, node: node, now: now) else { throw StreamLogError.fenced(id) }
            entry.leaseUntil = now + options.lease
            entry.expiresAt = now + options.lease + options.retention
            state.entries[id] = entry
        }
    }

    /// Whether `node` may write: the stream is its own and still runs. A lease that expired
    /// without anyone declaring the stream lost is simply taken again.
    private static func holds(_ entry: Entry, node: String, now: ContinuousClock.Instant) -> Bool {
        !entry.record.isFinished && entry.record.node == node
    }

    public func record(_ id: String) async throws -> StreamRecord? {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let entry = state.entries[id], entry.expiresAt > now else { return nil }
            var record = entry.record
            record.isLeased = !record.isFinished && (entry.leaseUntil.map { $0 > now } ?? false)
            return record
        }
    }

    public func frames(of id: String, after seq: Int, limit: Int) async throws -> [StreamFrame] {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let entry = state.entries[id], entry.expiresAt > now else { return [] }
            return Array(entry.frames.lazy.filter { $0.seq > seq }.prefix(limit))
        }
    }

    public func markLost(_ id: String, expectedLastSeq: Int, frame: StreamFrame) async throws -> Bool {
        let now = ContinuousClock.now
        let followers = state.withLock { state -> [AsyncStream<[StreamFrame]>.Continuation]? in
            guard var entry = state.entries[id], entry.expiresAt > now, !entry.record.isFinished,
                entry.leaseUntil.map({ $0 <= now }) ?? true, entry.record.lastSeq == expectedLastSeq,
                frame.seq == expectedLastSeq + 1
            else { return nil }
            entry.frames.append(frame)
            if entry.frames.count > options.maxFrames { entry.frames.removeFirst() }
            entry.record.lastSeq = frame.seq
            entry.record.isFinished = true
            entry.leaseUntil = nil
            entry.expiresAt = now + options.retention
            state.entries[id] = entry
            return Array(state.followers[id, default: [:]].values)
        }
        guard let followers else { return false }
        for follower in followers { follower.yield([frame]) }
        return true
    }

    public func follow(_ id: String) async throws -> AsyncStream<[StreamFrame]> {
        let (stream, continuation) = AsyncStream<[StreamFrame]>.makeStream()
        let key = state.withLock { state in
            state.nextID += 1
            state.followers[id, default: [:]][state.nextID] = continuation
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { state in
                state.followers[id]?[key] = nil
                if state.followers[id]?.isEmpty == true { state.followers[id] = nil }
            }
        }
        return stream
    }

    public func requestCancel(_ id: String, on node: String) async throws {
        let listeners = state.withLock { Array($0.cancelListeners[node, default: [:]].values) }
        for listener in listeners { listener.yield(id) }
    }

    public func cancelRequests(for node: String) async throws -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let key = state.withLock { state in
            state.nextID += 1
            state.cancelListeners[node, default: [:]][state.nextID] = continuation
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.cancelListeners[node]?.removeValue(forKey: key) }
        }
        return stream
    }
}
