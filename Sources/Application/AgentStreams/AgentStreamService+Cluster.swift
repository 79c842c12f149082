import Logging

extension AgentStreamService {
    /// Runs `stream` as a node of the cluster: registers it in the shared log (refusing an id
    /// another node uses), then runs it with a ``StreamLogWriter`` that logs every frame and
    /// keeps the lease, until its final frame is logged.
    func executeLogged(_ stream: AgentStream, in cluster: StreamCluster) async {
        let record = StreamRecord(
            id: stream.id, agentName: stream.agentName, input: stream.input, owner: stream.owner, node: cluster.nodeID)
        let refusal: ProtocolFailure?
        do {
            refusal = try await cluster.log.create(record)
                ? nil
                : ProtocolFailure(.invalidMessage, "stream id \"\(stream.id)\" is in use; resume it instead", streamID: stream.id)
        } catch {
            logger.warning("the stream log is unreachable: refusing a stream", metadata: ["stream": "\(stream.id)", "error": "\(error)"])
            refusal = ProtocolFailure(.clusterUnavailable, "the cluster's log is unreachable; try again", streamID: stream.id)
        }
        if let refusal {
            stream.append(StreamFrame(seq: 1, type: "error", frame: ServerFrame.error(refusal, seq: 1)))
            finished(stream, .failed)
            return
        }
        let writer = StreamLogWriter(stream: stream, cluster: cluster, logger: logger)
        await withDiscardingTaskGroup { group in
            group.addTask { await writer.run() }
            await execute(stream, writer: writer)
        }
    }

    /// Runs `job` as a child of ``run()``.
    func inBackground(_ job: @escaping @Sendable () async -> Void) {
        clusterWorkContinuation.yield(job)
    }

    func sendCancel(_ id: String, to node: String, through cluster: StreamCluster) async {
        do {
            try await cluster.log.requestCancel(id, on: node)
        } catch {
            logger.warning("a cancel could not reach the stream's node", metadata: ["stream": "\(id)", "node": "\(node)", "error": "\(error)"])
        }
    }

    /// Cancels the streams other nodes ask this one to cancel, until cancelled.
    func serveCancelRequests(_ cluster: StreamCluster) async {
        while !Task.isCancelled {
            do {
                for await id in try await cluster.log.cancelRequests(for: cluster.nodeID) {
                    if let stream = stream(id), stream.runningOn == nil, !stream.isFinished { stream.requestCancel() }
                }
                return
            } catch {
                logger.warning("cannot receive cancels from other nodes; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// The stream `id`, whether it runs here or on another node (then a mirror of the log,
    /// loaded before it is handed out, so a follower gets every frame exactly once).
    ///
    /// - Returns: `nil` when no node has it.
    /// - Throws: `cluster_unavailable` when the log cannot be read.
    public func lookup(_ id: String) async throws(ProtocolFailure) -> AgentStream? {
        if let local = stream(id) { return local }
        guard let cluster else { return nil }
        do {
            guard let record = try await cluster.log.record(id) else { return nil }
            // Follow first, then read: a batch appended in between comes both ways, and the
            // mirror keeps the first copy of each seq.
            let updates = try await cluster.log.follow(id)
            // The newest frames the mirror keeps (a log may keep more than this node replays).
            let kept = try await cluster.log.frames(
                of: id, after: max(0, record.lastSeq - options.maxReplayFrames), limit: options.maxReplayFrames)
            let mirror = AgentStream(
                id: id, agentName: record.agentName, input: record.input, owner: record.owner,
                maxFrames: options.maxReplayFrames, runningOn: record.node)
            for frame in kept { _ = mirror.appendIfNext(frame) }
            if record.lastSeq > mirror.lastSeq || (record.isFinished && !mirror.isFinished) {
                // The log no longer holds frames its record counts: never replay a gap.
                return nil
            }
            let (stream, isNew) = registry.withLock { registry -> (AgentStream, Bool) in
                if let existing = registry.streams[id] { return (existing, false) }
                registry.streams[id] = mirror
                return (mirror, true)
            }
            guard isNew else { return stream }
            if mirror.isFinished {
                mirrorFinished(mirror)
            } else {
                inBackground { await self.feed(mirror, updates: updates, cluster: cluster) }
            }
            return mirror
        } catch {
            throw ProtocolFailure(.clusterUnavailable, "the cluster's log cannot be read now; try again", streamID: id)
        }
    }

    /// Looks `id` up in the background and hands the result to `body`: for the hub, whose
    /// request handling must not wait.
    public func lookup(_ id: String, then body: @escaping @Sendable (Result<AgentStream?, ProtocolFailure>) -> Void) {
        inBackground {
            do throws(ProtocolFailure) {
                body(.success(try await self.lookup(id)))
            } catch {
                body(.failure(error))
            }
        }
    }

    /// Feeds a mirror from the log until its final frame: live batches as they are appended,
    /// and a watch of the record every sixth of the lease, which catches up on what Pub/Sub
    /// missed (a reconnect) and declares the stream lost when its node's lease expired.
    func feed(_ mirror: AgentStream, updates: AsyncStream<[StreamFrame]>, cluster: StreamCluster) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await batch in updates {
                    for frame in batch where !mirror.appendIfNext(frame) && frame.seq > mirror.lastSeq + 1 {
                        await self.catchUp(mirror, cluster: cluster)
                        _ = mirror.appendIfNext(frame)
                    }
                    if mirror.isFinished { return }
                }
            }
            group.addTask { await self.watch(mirror, cluster: cluster) }
            await group.next()
            group.cancelAll()
        }
        mirrorFinished(mirror)
    }

    private func catchUp(_ mirror: AgentStream, cluster: StreamCluster) async {
        do {
            while true {
                let frames = try await cluster.log.frames(of: mirror.id, after: mirror.lastSeq, limit: 1_000)
                guard !frames.isEmpty else { return }
                for frame in frames where !mirror.appendIfNext(frame) && frame.seq > mirror.lastSeq + 1 {
                    // The log trimmed frames this mirror never had: end it rather than skip them.
                    endMirror(mirror, ProtocolFailure(
                        .clusterUnavailable, "frames of the stream were lost; start it again", streamID: mirror.id))
                    return
                }
                if mirror.isFinished || frames.count < 1_000 { return }
            }
        } catch {
            logger.debug("catching up on a stream's log failed", metadata: ["stream": "\(mirror.id)", "error": "\(error)"])
        }
    }

    private func watch(_ mirror: AgentStream, cluster: StreamCluster) async {
        // A sixth of the lease (half a second at most): a lost node is declared within
        // lease + period of its last write, 3.5 s with the default 3 s lease.
        let period = min(cluster.log.options.lease / 6, .milliseconds(500))
        while !mirror.isFinished {
            do {
                try await Task.sleep(for: period)
            } catch {
                return
            }
            do {
                guard let record = try await cluster.log.record(mirror.id) else {
                    endMirror(mirror, ProtocolFailure(
                        .clusterUnavailable, "the cluster's log lost the stream; start it again", streamID: mirror.id))
                    return
                }
                if record.lastSeq > mirror.lastSeq { await catchUp(mirror, cluster: cluster) }
                guard !record.isFinished, !record.isLeased, record.lastSeq == mirror.lastSeq else { continue }
                let seq = record.lastSeq + 1
                let failure = ProtocolFailure(
                    .nodeLost, "the node running the stream (\(record.node)) stopped; start the stream again",
                    streamID: mirror.id)
                let frame = StreamFrame(seq: seq, type: "error", frame: ServerFrame.error(failure, seq: seq))
                if try await cluster.log.markLost(mirror.id, expectedLastSeq: record.lastSeq, frame: frame) {
                    logger.warning("a node's lease expired: its stream is declared lost", metadata: ["stream": "\(mirror.id)", "node": "\(record.node)"])
                    _ = mirror.appendIfNext(frame)
                }
            } catch {
                logger.debug("watching a stream's log failed", metadata: ["stream": "\(mirror.id)", "error": "\(error)"])
            }
        }
    }

    /// Ends a mirror whose log cannot go on with a final frame of its own.
    private func endMirror(_ mirror: AgentStream, _ failure: ProtocolFailure) {
        let seq = mirror.lastSeq + 1
        _ = mirror.appendIfNext(StreamFrame(seq: seq, type: "error", frame: ServerFrame.error(failure, seq: seq)))
    }

    /// A mirror ended: it stays resumable for the retention, as a finished local stream does.
    private func mirrorFinished(_ mirror: AgentStream) {
        registry.withLock { $0.finished.append(mirror.id) }
        forgetExpired()
    }
}
