import DequeModule
import Logging
import StreamingDomain
import Tracing
import Synchronization

/// Runs agent streams for clients and keeps them resumable: the use case behind the
/// protocol's `agent_stream`, `cancel` and `resume`, and the SSE endpoints.
///
/// Each stream runs as a child task of ``run()``, so nothing outlives the service:
/// ``shutdown()`` cancels every run (and with it the upstream model request) and `run()`
/// returns once they have all ended. Finished streams stay resumable for
/// ``AgentStreamOptions/retention``, at most ``AgentStreamOptions/maxRetainedStreams`` of them.
public final class AgentStreamService: Sendable {
    public let options: AgentStreamOptions
    let runner: AgentRunner
    let pipeline: StreamPipeline?
    let agents: @Sendable (String) -> Agent?
    let logger: Logger
    /// The cluster's shared log, when this service is one node of several.
    public let cluster: StreamCluster?

    struct Registry {
        var streams: [String: AgentStream] = [:]
        var finished: Deque<String> = []
        var active = 0
        var started = 0
        var completed = 0
        var failed = 0
        var cancelled = 0
        var isShutDown = false
        /// A drain began: new streams are refused with `shutting_down`; running ones go on.
        var isDraining = false
    }

    let registry: Mutex<Registry>
    let starts: AsyncStream<AgentStream>
    let startsContinuation: AsyncStream<AgentStream>.Continuation
    /// Work of the cluster that runs as a child of ``run()``: mirrors of other nodes'
    /// streams, lookups for the hub, cancels sent to other nodes.
    let clusterWork: AsyncStream<@Sendable () async -> Void>
    let clusterWorkContinuation: AsyncStream<@Sendable () async -> Void>.Continuation

    /// Creates the service.
    /// - Parameters:
    ///   - runner: Runs the agents.
    ///   - agents: Looks an agent up by the name a client sends.
    ///   - pipeline: Processors applied to every stream (re-chunking, pacing), if any.
    ///   - cluster: Makes this service a node of a cluster: every stream it runs is logged in
    ///     the shared log, and streams of other nodes can be resumed and cancelled here.
    public init(
        runner: AgentRunner,
        agents: @escaping @Sendable (String) -> Agent?,
        pipeline: StreamPipeline? = nil,
        options: AgentStreamOptions = AgentStreamOptions(),
        cluster: StreamCluster? = nil,
        logger: Logger = Logger(label: LogLabel.streaming)
    ) {
        self.runner = runner
        self.agents = agents
        self.pipeline = pipeline
        self.options = options
        self.cluster = cluster
        self.logger = logger
        self.registry = Mutex(Registry())
        (starts, startsContinuation) = AsyncStream.makeStream()
        (clusterWork, clusterWorkContinuation) = AsyncStream.makeStream()
    }

    /// Starts a run of `agent` on `input`; its frames go to the stream's followers.
    ///
    /// - Parameter id: The stream id the client chose; `nil` picks a fresh one.
    /// - Parameter transport: `websocket` or `sse`: names the stream's span
    ///   (`agent_stream <agent>`, attribute `raaf.transport`), whose parent is the caller's
    ///   service context and which parents the run's spans.
    /// - Throws: `not_found` for an unknown agent, `invalid_message` for an id in use,
    ///   `server_busy` when ``AgentStreamOptions/maxActiveStreams`` run already.
    public func start(
        id: String?, agent name: String, input: String, owner: String?, transport: String = "websocket"
    ) throws(ProtocolFailure) -> AgentStream {
        let id = id ?? Self.freshID()
        guard agents(name) != nil else {
            throw ProtocolFailure(.notFound, "no agent named \"\(name)\"", streamID: id)
        }
        let stream = AgentStream(
            id: id, agentName: name, input: input, owner: owner, maxFrames: options.maxReplayFrames, transport: transport,
            parentContext: Traces.tracer(runner.tracer) == nil ? nil : ServiceContext.current)
        try registry.withLock { registry throws(ProtocolFailure) in
            guard !registry.isShutDown else {
                throw ProtocolFailure(.serverBusy, "the server is shutting down", streamID: id)
            }
            guard !registry.isDraining else {
                throw ProtocolFailure(.shuttingDown, Self.drainingMessage, streamID: id)
            }
            guard registry.streams[id] == nil else {
                throw ProtocolFailure(.invalidMessage, "stream id \"\(id)\" is in use; resume it instead", streamID: id)
            }
            guard registry.active < options.maxActiveStreams else {
                throw ProtocolFailure(.serverBusy, "\(options.maxActiveStreams) streams are running", streamID: id)
            }
            registry.streams[id] = stream
            registry.active += 1
            registry.started += 1
        }
        if case .terminated = startsContinuation.yield(stream) {
            // shutdown() finished the queue between the check above and here: undo the start.
            registry.withLock { registry in
                registry.streams[id] = nil
                registry.active -= 1
                registry.started -= 1
            }
            throw ProtocolFailure(.serverBusy, "the server is shutting down", streamID: id)
        }
        return stream
    }

    /// The running or recently finished stream `id`.
    public func stream(_ id: String) -> AgentStream? {
        registry.withLock { $0.streams[id] }
    }

    /// Cancels the run of stream `id`; returns `false` if it is unknown or already finished.
    /// A stream that runs on another node is cancelled there (its model request too).
    @discardableResult
    public func cancel(_ id: String) -> Bool {
        guard let stream = stream(id), !stream.isFinished else { return false }
        if let node = stream.runningOn, let cluster {
            inBackground { await self.sendCancel(id, to: node, through: cluster) }
        } else {
            stream.requestCancel()
        }
        return true
    }

    /// Counts of streams, for `stats` and metrics.
    public var stats: AgentStreamStats {
        registry.withLock { registry in
            AgentStreamStats(
                active: registry.active,
                retained: registry.streams.count - registry.active,
                started: registry.started,
                completed: registry.completed,
                failed: registry.failed,
                cancelled: registry.cancelled
            )
        }
    }

    /// Runs the streams that ``start(id:agent:input:owner:)`` hands in, until ``shutdown()``.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.forgetExpiredPeriodically() }
            if let cluster {
                group.addTask { await self.serveCancelRequests(cluster) }
                group.addTask {
                    await withDiscardingTaskGroup { work in
                        for await job in self.clusterWork { work.addTask { await job() } }
                        work.cancelAll()
                    }
                }
            }
            for await stream in starts {
                group.addTask { await self.execute(stream) }
            }
            // Shut down: cancel every run still going, and the retention sweep.
            group.cancelAll()
        }
    }

    /// Refuses new streams and cancels every running one; ``run()`` returns once they have ended.
    public func shutdown() {
        let running = registry.withLock { registry -> [AgentStream] in
            registry.isShutDown = true
            return registry.streams.values.filter { !$0.isFinished }
        }
        for stream in running { stream.requestCancel() }
        startsContinuation.finish()
        clusterWorkContinuation.finish()
    }

    /// The refusal of a stream while the server drains.
    static let drainingMessage = "the server is shutting down; reconnect and start the stream again"

    /// Refuses new streams with `shutting_down` from now on; running streams go on to their end.
    public func beginDrain() {
        registry.withLock { $0.isDraining = true }
    }

    /// Whether a drain began (``beginDrain()``).
    public var isDraining: Bool { registry.withLock { $0.isDraining } }

    /// Stops every running stream, each ending with a final `error` frame coded
    /// `shutting_down`: the end of a drain whose grace ran out.
    public func stopRunning() {
        let running = registry.withLock { registry in registry.streams.values.filter { !$0.isFinished } }
        for stream in running { stream.requestCancel(shuttingDown: true) }
    }

    /// Forgets finished streams older than the retention, or beyond the count limit.
    public func forgetExpired(now: ContinuousClock.Instant = .now) {
        registry.withLock { registry in
            while let oldest = registry.finished.first {
                let expired = registry.streams[oldest]?.finishedAt.map { now - $0 >= options.retention } ?? true
                guard expired || registry.finished.count > options.maxRetainedStreams else { break }
                registry.finished.removeFirst()
                registry.streams[oldest] = nil
            }
        }
    }

    private func forgetExpiredPeriodically() async {
        let period = min(max(options.retention / 4, .milliseconds(100)), .seconds(30))
        while !Task.isCancelled {
            try? await Task.sleep(for: period)
            forgetExpired()
        }
    }

    func execute(_ stream: AgentStream) async {
        guard let cluster else { return await execute(stream, writer: nil) }
        await executeLogged(stream, in: cluster)
    }

    func execute(_ stream: AgentStream, writer: StreamLogWriter?) async {
        // Two children: the run, and a watcher for `cancel`. Whichever ends first cancels
        // the other, so a cancel stops the run (and its model request) at once. In a
        // cluster a third keeps the lease; losing it stops the run too.
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await stream.cancellationRequested() }
            group.addTask { self.finished(stream, await self.producedTraced(stream, writer: writer)) }
            if let writer { group.addTask { await writer.keepLease() } }
            await group.next()
            group.cancelAll()
        }
    }

    enum Outcome { case completed, failed, cancelled }

    /// ``produce(_:writer:)`` inside the stream's span when tracing: `agent_stream <agent>`, a
    /// server span under the starting request's context, parent of the run's spans.
    /// A failed stream records its error on the span; a cancelled one has an error status.
    private func producedTraced(_ stream: AgentStream, writer: StreamLogWriter?) async -> Outcome {
        guard let tracer = Traces.tracer(runner.tracer) else { return await produce(stream, writer: writer).outcome }
        return await tracer.withSpan(
            "agent_stream \(stream.agentName)", context: stream.parentContext ?? .topLevel, ofKind: .server
        ) { span in
            span.attributes["raaf.transport"] = stream.transport
            span.attributes["raaf.stream.id"] = stream.id
            span.attributes["gen_ai.agent.name"] = stream.agentName
            let (outcome, failure) = await produce(stream, writer: writer)
            let end: SpanEnd =
                switch outcome {
                case .completed: .completed
                case .cancelled: .incomplete("cancelled")
                case .failed: failure.map { .failed($0) } ?? .incomplete("failed")
                }
            end.record(on: span)
            return outcome
        }
    }

    /// Runs the agent and appends its frames; returns how the run ended, and the failure
    /// its last frame reports.
    private func produce(_ stream: AgentStream, writer: StreamLogWriter?) async -> (outcome: Outcome, failure: ProtocolFailure?) {
        let input = stream.input
        guard let agent = agents(stream.agentName) else { return (.failed, nil) }
        var lastSeq = 0
        do {
            let events = runner.stream(agent, input)
            if let pipeline {
                for try await event in pipeline.apply(to: events) {
                    lastSeq = append(event, to: stream, writer: writer)
                    await writer?.waitForRoom()
                }
            } else {
                for try await event in events {
                    lastSeq = append(event, to: stream, writer: writer)
                    await writer?.waitForRoom()
                }
            }
            return (.completed, nil)
        } catch {
            var failure = Self.failure(for: error, streamID: stream.id)
            if failure.code == .cancelled, let reason = stream.stopFailure.withLock({ $0 }) { failure = reason }
            let final = StreamFrame(seq: lastSeq + 1, type: "error", frame: ServerFrame.error(failure, seq: lastSeq + 1))
            stream.append(final)
            writer?.add(final)
            if failure.code == .cancelled || failure.code == .shuttingDown { return (.cancelled, failure) }
            logger.debug("agent stream failed", metadata: ["stream": "\(stream.id)", "error": "\(error)"])
            return (.failed, failure)
        }
    }

    private func append(_ event: StreamEvent, to stream: AgentStream, writer: StreamLogWriter?) -> Int {
        let frame = StreamFrame(
            seq: event.seq, type: event.typeName, frame: OutboundFrame(text: event.jsonText(streamID: stream.id)))
        stream.append(frame)
        writer?.add(frame)
        return event.seq
    }

    func finished(_ stream: AgentStream, _ outcome: Outcome) {
        registry.withLock { registry in
            registry.active -= 1
            switch outcome {
            case .completed: registry.completed += 1
            case .failed: registry.failed += 1
            case .cancelled: registry.cancelled += 1
            }
            registry.finished.append(stream.id)
        }
        forgetExpired()
    }

    static func failure(for error: any Error, streamID: String) -> ProtocolFailure {
        switch error {
        case StreamingError.cancelled, is CancellationError:
            return ProtocolFailure(.cancelled, "the stream was cancelled", streamID: streamID)
        case let error as StreamingError:
            return ProtocolFailure(ProtocolErrorCode(rawValue: error.code), error.description, streamID: streamID)
        default:
            return ProtocolFailure(.internalError, "the agent run failed", streamID: streamID)
        }
    }

    static func freshID() -> String {
        "s-" + ConnectionID.random().rawValue
    }
}

/// Counts of agent streams.
public struct AgentStreamStats: Sendable, Hashable {
    /// Streams running now.
    public var active: Int
    /// Finished streams still kept for resume.
    public var retained: Int
    /// Streams started since the service began.
    public var started: Int
    public var completed: Int
    public var failed: Int
    public var cancelled: Int
}
