import StreamingDomain

extension AsyncRunner {
    /// Runs the submitted tasks, each as a child task, until ``shutdown(mode:)`` has
    /// settled every one of them.
    ///
    /// Tasks submitted before `run()` starts wait for it. Cancelling the task that calls
    /// `run()` cancels every run.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.deadlines.run() }
            await withDiscardingTaskGroup { runs in
                for await record in starts {
                    runs.addTask { await self.execute(record) }
                }
            }
            // Every run has ended: stop the deadline keeper.
            group.cancelAll()
        }
    }

    /// Refuses new tasks, then drains or cancels the work there is, and returns once every
    /// task has settled (and ``run()`` is ending). Call it while `run()` runs.
    public func shutdown(mode: ShutdownMode = .drain) async {
        let (queued, running) = state.withLock { state -> ([TaskRecord], [TaskRecord]) in
            state.isShutDown = true
            guard mode == .cancel else { return ([], []) }
            let queued = Array(state.waiting)
            state.waiting.removeAll()
            let running = state.tasks.values.filter { $0.status == .running || $0.status == .pending }
            return (queued, running)
        }
        for record in queued { settle(record, .cancelled, ran: nil) }
        for record in running { record.requestStop(.cancelled) }
        finishIfIdle()
        await idle.wait()
    }

    /// Runs ``run()`` while `body` runs, then shuts down with `mode` (with `.cancel` when
    /// `body` throws) and returns once every task has settled. `body` runs in the caller's
    /// isolation.
    public func withRunning<Result>(
        shutdown mode: ShutdownMode = .drain,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (AsyncRunner) async throws -> Result
    ) async rethrows -> Result {
        async let running: Void = run()
        do {
            let result = try await body(self)
            await shutdown(mode: mode)
            await running
            return result
        } catch {
            await shutdown(mode: .cancel)
            await running
            throw error
        }
    }

    /// Runs one task to its outcome, then hands its slot to the next queued task.
    func execute(_ record: TaskRecord) async {
        if record.stopRequested.isSet || !record.markRunning() {
            // Cancelled between being admitted and starting.
            settle(record, .cancelled, ran: nil)
        } else {
            let started = ContinuousClock.now
            if let timeout = record.timeout { deadlines.start(record, timeout: timeout) }
            let outcome = await RunAttempt.outcome(
                runner: runner,
                agent: record.agent,
                messages: record.messages,
                timeout: nil,
                clock: clock,
                stop: record.stopRequested,
                stopOutcome: { record.stopOutcome },
                onEvent: record.record
            )
            deadlines.end(record.id)
            settle(record, outcome, ran: ContinuousClock.now - started)
        }
        let next = state.withLock { state -> TaskRecord? in
            if let next = state.waiting.popFirst() { return next }
            state.active -= 1
            return nil
        }
        if let next {
            startsContinuation.yield(next)
        } else {
            finishIfIdle()
        }
    }

    /// Settles `record`, counts it, and forgets the oldest settled tasks past the retention.
    func settle(_ record: TaskRecord, _ outcome: TaskOutcome, ran duration: Duration?) {
        if case .failed(let error) = outcome {
            logger.debug("task failed", metadata: ["task": "\(record.id)", "error": "\(error)"])
        }
        record.settle(outcome) {
            count(record, outcome, ran: duration)
        }
    }

    private func count(_ record: TaskRecord, _ outcome: TaskOutcome, ran duration: Duration?) {
        state.withLock { state in
            switch outcome {
            case .completed: state.completed += 1
            case .failed: state.failed += 1
            case .cancelled: state.cancelled += 1
            case .timedOut: state.timedOut += 1
            }
            if let duration { state.durations.record(duration) }
            state.settledOrder.append(record.id)
            while state.settledOrder.count > retainedTasks, let oldest = state.settledOrder.popFirst() {
                state.tasks[oldest] = nil
            }
        }
    }

    /// Ends ``run()`` once the runner is shut down and has nothing left to run.
    func finishIfIdle() {
        let isIdle = state.withLock { $0.isShutDown && $0.active == 0 && $0.waiting.isEmpty }
        guard isIdle else { return }
        startsContinuation.finish()
        idle.set()
    }
}
