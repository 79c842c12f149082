/// Work besides the hub's agent streams that a drain waits for, such as chat answers
/// (``ChatService/drainWork``).
public struct DrainWork: Sendable {
    /// Refuses new work from now on; what runs goes on.
    public var begin: @Sendable () -> Void
    /// The connections that wait for work still running: they stay open.
    public var busyConnections: @Sendable () -> Set<ConnectionID>
    /// Whether no work is running.
    public var isIdle: @Sendable () -> Bool
    /// Stops the work still running, each piece ending with a final `shutting_down` error.
    public var stop: @Sendable () -> Void

    public init(
        begin: @escaping @Sendable () -> Void,
        busyConnections: @escaping @Sendable () -> Set<ConnectionID>,
        isIdle: @escaping @Sendable () -> Bool,
        stop: @escaping @Sendable () -> Void
    ) {
        self.begin = begin
        self.busyConnections = busyConnections
        self.isIdle = isIdle
        self.stop = stop
    }
}

/// How a drain ended.
public enum DrainEnd: Sendable, Equatable {
    /// Every stream and answer ended on its own.
    case finished
    /// The grace ran out: what still ran was stopped with `shutting_down`.
    case graceOver
    /// Asked to stop at once (a second signal, or the drain's task was cancelled): what
    /// still ran was stopped with `shutting_down`.
    case stoppedAtOnce
}

extension ConnectionHub {
    /// Whether a drain began: new connections and streams are refused.
    public var isDraining: Bool { registry.withLock { $0.isDraining } }

    /// Whether the hub takes new connections and streams: no drain began and it is not shut
    /// down (`/health/ready`).
    public var isReady: Bool { registry.withLock { !$0.isDraining && !$0.isShutDown } }

    /// Drains the hub before a shutdown (a deploy's SIGTERM) so that no answer in flight is lost.
    ///
    /// At once: new connections are refused (a WebSocket upgrade answers 503), new agent
    /// streams and `work` are refused with `shutting_down`, and every idle connection (one
    /// that follows no running stream and waits for no running `work`) is closed with 1012
    /// (``CloseCode/serviceRestart``), so its client reconnects to another node now. Then
    /// every running stream and piece of work goes on to its end; each connection is closed
    /// with 1012 once nothing it waits for runs. Returns when nothing runs any more, or when
    /// `grace` runs out or `stopNow` is set: then what still runs is stopped, each stream
    /// ending with its final `error` frame coded `shutting_down`, and every connection left
    /// is closed with 1012 after it.
    ///
    /// - Parameters:
    ///   - grace: The longest the running streams are waited for (`server.shutdown_grace`).
    ///   - work: What else to wait for (chat answers).
    ///   - stopNow: Set it to end the wait at once (a second SIGTERM).
    ///   - pollInterval: How often the running work is looked at.
    @discardableResult
    public func drain(
        grace: Duration,
        work: [DrainWork] = [],
        stopNow: OneWaySignal? = nil,
        pollInterval: Duration = .milliseconds(20)
    ) async -> DrainEnd {
        registry.withLock { registry in
            registry.isDraining = true
            registry.drainWork = work
        }
        streams.beginDrain()
        for part in work { part.begin() }
        logger.info("draining", metadata: ["grace": "\(grace)", "streams": "\(streams.stats.active)"])
        let clock = ContinuousClock()
        let deadline = clock.now + grace
        var end = DrainEnd.finished
        while true {
            closeIdleConnections(work)
            if isIdle(work) { break }
            if stopNow?.isSet == true || Task.isCancelled {
                end = .stoppedAtOnce
                break
            }
            guard clock.now < deadline else {
                end = .graceOver
                break
            }
            let pause = min(pollInterval, deadline - clock.now)
            if let stopNow { await stopNow.wait(atMost: pause) } else { try? await Task.sleep(for: pause) }
        }
        if end != .finished {
            logger.warning(
                "drain: stopping what still runs", metadata: ["reason": "\(end)", "streams": "\(streams.stats.active)"])
            streams.stopRunning()
            for part in work { part.stop() }
            // Cancelled runs end at once, each with its final frame: wait for those frames
            // (bounded, and not when this task is cancelled) before closing.
            let frames = clock.now + .seconds(5)
            while !isIdle(work), !Task.isCancelled, clock.now < frames {
                try? await Task.sleep(for: pollInterval)
            }
        }
        for connection in connections { closeForRestart(connection) }
        logger.info("drained", metadata: ["end": "\(end)"])
        return end
    }

    /// A transport's server is quiescing (Hummingbird's graceful shutdown): closes
    /// `connection` with 1012 now, unless a drain runs and the connection waits for a running
    /// stream or answer; the drain closes it once that ends.
    public func quiesce(_ connection: Connection) {
        let work = registry.withLock { $0.isDraining ? $0.drainWork : nil }
        if let work, busyConnections(work).contains(connection.id) { return }
        closeForRestart(connection)
    }

    /// Closes `connection` with 1012: the client reconnects at once, to another node.
    func closeForRestart(_ connection: Connection) {
        connection.sink.close(code: .serviceRestart, reason: "server restarting")
        disconnect(connection, code: .serviceRestart)
    }

    private func isIdle(_ work: [DrainWork]) -> Bool {
        streams.stats.active == 0 && work.allSatisfy { $0.isIdle() }
    }

    /// The connections following a running stream of this node, or waiting for running
    /// `work`. In a cluster, one that follows only streams other nodes run is not busy: it is
    /// closed with 1012 at once and resumes them on another node.
    private func busyConnections(_ work: [DrainWork]) -> Set<ConnectionID> {
        var busy = Set<ConnectionID>()
        for part in work { busy.formUnion(part.busyConnections()) }
        for connection in connections {
            let followed = connection.state.withLock { $0.streams }
            let runsHere = followed.contains { id in
                streams.stream(id).map { !$0.isFinished && $0.runningOn == nil } ?? false
            }
            if runsHere { busy.insert(connection.id) }
        }
        return busy
    }

    private func closeIdleConnections(_ work: [DrainWork]) {
        let busy = busyConnections(work)
        for connection in connections where !busy.contains(connection.id) { closeForRestart(connection) }
    }
}
