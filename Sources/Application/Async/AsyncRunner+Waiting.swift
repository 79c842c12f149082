import StreamingDomain

extension AsyncRunner {
    /// Runs `agent` on `input` through the pool and returns its result.
    ///
    /// Cancelling the calling task cancels the run.
    /// - Throws: the run's error; ``StreamingError/cancelled``; ``StreamingError/timeout(_:)``
    ///   past the timeout; ``StreamingError/queueFull(capacity:)`` when the queue is full.
    public func process(_ agent: Agent, _ input: String, timeout: Duration? = nil) async throws -> RunResult {
        try await process(agent, messages: [.user(input)], timeout: timeout)
    }

    /// Runs `agent` on a conversation through the pool and returns its result.
    public func process(_ agent: Agent, messages: [ChatMessage], timeout: Duration? = nil) async throws -> RunResult {
        let record = try submit(agent, messages: messages, timeout: timeout, onComplete: nil)
        return try await settledOutcome(of: record).get()
    }

    /// Waits for `record` to settle; cancelling the waiting task cancels the task.
    func settledOutcome(of record: TaskRecord) async -> TaskOutcome {
        // A cancelled caller still waits for the run to stop: the task is settled on return.
        await withTaskCancellationHandler {
            await record.settled.waitIgnoringCancellation()
        } onCancel: {
            _ = self.cancelTask(record.id)
        }
        return record.outcome ?? .cancelled
    }

    /// Waits until every task of `ids` has settled, or `timeout` has passed, whichever is
    /// first, and reports each task in the order of `ids`.
    ///
    /// It returns as soon as the last task settles (a failure does not make it wait for the
    /// timeout); a task still pending or running at the deadline is reported without an
    /// outcome and goes on. Unknown ids are reported as failed with
    /// ``StreamingError/notFound(_:)``.
    public func waitForTasks(_ ids: [TaskID], timeout: Duration) async -> [TaskReport] {
        let records = ids.map { record($0) }
        let known = records.compactMap { $0 }
        if known.contains(where: { !$0.status.isSettled }) {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for record in known { await record.settled.wait() }
                }
                group.addTask { try? await self.clock.sleep(for: timeout) }
                await group.next()
                group.cancelAll()
            }
        }
        return zip(ids, records).map { id, record in
            guard let record else {
                return TaskReport(id: id, status: .failed, outcome: .failed(StreamingError.notFound("\(id)")))
            }
            let outcome = record.outcome
            return TaskReport(id: id, status: outcome?.status ?? record.status, outcome: outcome)
        }
    }

    /// Runs the same `input` on each of `agents` at once, through the pool, and returns
    /// each agent's outcome in the order of `agents`. A submission the queue refuses is
    /// that agent's failure (``StreamingError/queueFull(capacity:)``); the others still run.
    public func processConcurrent(_ agents: [Agent], _ input: String) async -> [AgentOutcome] {
        var submitted: [(Agent, Result<TaskRecord, StreamingError>)] = []
        for agent in agents {
            do throws(StreamingError) {
                submitted.append((agent, .success(try submit(agent, messages: [.user(input)], timeout: nil, onComplete: nil))))
            } catch {
                submitted.append((agent, .failure(error)))
            }
        }
        var outcomes: [AgentOutcome] = []
        outcomes.reserveCapacity(agents.count)
        for (agent, submission) in submitted {
            switch submission {
            case .success(let record):
                outcomes.append(AgentOutcome(agent: agent, task: record.id, outcome: await settledOutcome(of: record)))
            case .failure(let error):
                outcomes.append(AgentOutcome(agent: agent, task: nil, outcome: .failed(error)))
            }
        }
        return outcomes
    }

    /// Runs `agent` on `input` through the pool, trying again after an error that may go
    /// away (``StreamingError/isRetryable``: connection, timeout, rate limit, 5xx) up to
    /// `retryCount` more times.
    ///
    /// The wait before retry `n` is a random share (``init(runner:poolSize:queueSize:timeout:retainedTasks:clock:jitter:logger:)``'s
    /// `jitter`) of `retryDelay × 2^(n-1)`, capped at `maxDelay`, and never shorter than a
    /// rate limit's `retryAfter`. A waiting retry holds no slot of the pool. Any other error
    /// is thrown at once.
    public func processWithRetry(
        _ agent: Agent,
        _ input: String,
        retryCount: Int = 3,
        retryDelay: Duration = .seconds(1),
        maxDelay: Duration = .seconds(60)
    ) async throws -> RunResult {
        let backoff = RetryBackoff(base: retryDelay, cap: maxDelay)
        var retries = 0
        while true {
            do {
                return try await process(agent, input)
            } catch let error as StreamingError where error.isRetryable && retries < retryCount {
                retries += 1
                var wait = jitter(backoff.ceiling(beforeRetry: retries))
                if case .rateLimited(let retryAfter?) = error { wait = max(wait, retryAfter) }
                logger.debug(
                    "retrying task",
                    metadata: ["agent": "\(agent.name)", "retry": "\(retries)", "error": "\(error)"]
                )
                do {
                    try await clock.sleep(for: wait)
                } catch {
                    throw StreamingError.cancelled
                }
            }
        }
    }
}

/// One agent's outcome in ``AsyncRunner/processConcurrent(_:_:)``.
public struct AgentOutcome: Sendable {
    public var agent: Agent
    /// The task that ran it; `nil` when the submission was refused.
    public var task: TaskID?
    public var outcome: TaskOutcome
}
