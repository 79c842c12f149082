import DequeModule
import Logging
import Synchronization

/// Writes the frames of one stream this node runs to the cluster's log, in batches (all the
/// frames that came while the previous batch was on its way: one round trip each), in
/// order, and keeps the stream's lease.
///
/// While the log cannot be reached the frames wait here, at most
/// ``StreamCluster/maxPendingFrames`` of them; past that bound the run is stopped with
/// `cluster_unavailable`. While the log answers but more slowly than the run produces (an
/// instant model's burst), the run waits instead (``waitForRoom()``) once half the bound
/// is queued: a slow log slows the stream down, only an unreachable one ends it. A batch
/// holds at most ``maxBatch`` frames, so one script never keeps Redis busy for long.
/// A refused append (``StreamLogError/fenced``: another node declared
/// this one lost) stops the run with `node_lost` and writes nothing more.
final class StreamLogWriter: Sendable {
    let stream: AgentStream
    let cluster: StreamCluster
    let logger: Logger
    private let wakeup = Wakeup()
    /// Wakes a run waiting in ``waitForRoom()``.
    private let room = Wakeup()

    /// The most frames one append carries.
    static let maxBatch = 1_000

    private struct State {
        var pending: Deque<StreamFrame> = []
        /// The last append failed: the log is unreachable, so the run must not wait for it.
        var failing = false
        var overflowed = false
        /// No more writes: fenced, overflowed, or the stream's final frame is written.
        var done = false
    }

    private let state = Mutex(State())

    init(stream: AgentStream, cluster: StreamCluster, logger: Logger) {
        self.stream = stream
        self.cluster = cluster
        self.logger = logger
    }

    /// Queues `frame` for the log (called right after the stream appended it).
    func add(_ frame: StreamFrame) {
        let overflow = state.withLock { state -> Bool in
            // Past the bound the run is being stopped; the few frames it still makes before the
            // stop takes effect, and its final frame, are queued too: the log then holds what the
            // clients here got, without a gap, and this writer ends once the log answers again
            // (or `finalGrace` after the run ended).
            guard !state.done else { return false }
            state.pending.append(frame)
            guard !state.overflowed, state.pending.count > cluster.maxPendingFrames, !frame.isFinal else { return false }
            state.overflowed = true
            return true
        }
        if overflow {
            logger.error("the stream log is unreachable and the stream's buffer is full: stopping it", metadata: ["stream": "\(stream.id)"])
            stream.stop(with: ProtocolFailure(
                .clusterUnavailable, "the cluster's log stayed unreachable: the stream was stopped", streamID: stream.id))
        }
        wakeup.wake()
    }

    /// Waits while half the bound is queued and the log answers (it is only slow), so the
    /// run goes at the pace the log takes its frames; returns at once otherwise.
    func waitForRoom() async {
        while !Task.isCancelled {
            let full = state.withLock { state in
                !state.done && !state.failing && state.pending.count >= cluster.maxPendingFrames / 2
            }
            guard full else { return }
            await room.wait(cancellable: true)
        }
    }

    /// Writes queued frames until the final one is written, the stream is fenced, or the
    /// log stayed unreachable for `finalGrace` after the run ended.
    func run(finalGrace: Duration = .seconds(10)) async {
        var backoff: Duration = .milliseconds(20)
        var finalQueuedAt: ContinuousClock.Instant?
        while true {
            let next = state.withLock { state -> (batch: [StreamFrame], finalQueued: Bool)? in
                state.done ? nil : (Array(state.pending.prefix(Self.maxBatch)), state.pending.last?.isFinal == true)
            }
            guard let (batch, finalQueued) = next else { return }
            if batch.isEmpty {
                if Task.isCancelled { return }
                await wakeup.wait(cancellable: true)
                continue
            }
            // The grace runs from when the run ended, whether or not this batch reaches its end.
            if finalQueued, finalQueuedAt == nil { finalQueuedAt = .now }
            let final = batch.last!.isFinal
            do {
                let started = ContinuousClock.now
                try await cluster.log.append(batch, to: stream.id, node: cluster.nodeID, final: final)
                cluster.counters.appended(frames: batch.count, took: .now - started)
                backoff = .milliseconds(20)
                let finished = state.withLock { state -> Bool in
                    state.pending.removeFirst(min(batch.count, state.pending.count))
                    state.failing = false
                    if final { state.done = true }
                    return final
                }
                room.wake()
                if finished { return }
            } catch {
                if stopIfRefused(error) { return }
                let gaveUp = finalQueuedAt.map { ContinuousClock.now - $0 > finalGrace } ?? false
                if gaveUp || Task.isCancelled {
                    logger.error("the stream log stayed unreachable: the end of the stream is not logged", metadata: ["stream": "\(stream.id)", "error": "\(error)"])
                    state.withLock { $0.done = true }
                    return
                }
                cluster.counters.failed()
                state.withLock { $0.failing = true }
                room.wake()
                logger.warning("appending to the stream log failed; retrying", metadata: ["stream": "\(stream.id)", "error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(1))
            }
        }
    }

    /// Renews the lease every third of it until the calling task is cancelled; returns early
    /// (having stopped the run) when the lease is lost.
    func keepLease() async {
        let period = cluster.log.options.lease / 3
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: period)
            } catch {
                return
            }
            do {
                try await cluster.log.renew(stream.id, node: cluster.nodeID)
            } catch {
                if stopIfRefused(error) { return }
                // Unreachable: appends are held meanwhile; a lease that lapses is taken again
                // unless another node declared the stream lost, which the next append learns.
                logger.warning("renewing a stream's lease failed", metadata: ["stream": "\(stream.id)", "error": "\(error)"])
            }
        }
    }

    /// Stops the run when the log refused it for good: ``StreamLogError/fenced`` (another
    /// node declared this one lost: `node_lost`) or ``StreamLogError/missing`` (the store
    /// restarted without it: `cluster_unavailable`). `false` for any other error (retried).
    private func stopIfRefused(_ error: any Error) -> Bool {
        switch error {
        case StreamLogError.fenced:
            stopWriting(
                ProtocolFailure(.nodeLost, "the node running the stream was declared lost; its run was stopped", streamID: stream.id),
                "another node declared this stream lost: stopping its run")
        case StreamLogError.missing:
            stopWriting(
                ProtocolFailure(.clusterUnavailable, "the cluster's log lost the stream; it was stopped", streamID: stream.id),
                "the stream log lost this stream (the store restarted without it): stopping its run")
        default:
            return false
        }
        return true
    }

    /// Writes nothing more and stops the run with `failure` as its final frame.
    private func stopWriting(_ failure: ProtocolFailure, _ message: Logger.Message) {
        state.withLock { state in
            state.done = true
            state.pending.removeAll()
        }
        room.wake()
        logger.warning(message, metadata: ["stream": "\(stream.id)"])
        stream.stop(with: failure)
    }
}
