import StreamingDomain

/// One run of an agent to its ``TaskOutcome``, stoppable by a signal and by a timeout:
/// what ``AsyncRunner`` and ``BatchProcessor`` run for every task.
enum RunAttempt {
    private enum Ending: Sendable {
        case finished(TaskOutcome)
        case stopRequested
        case timedOut(Duration)
    }

    /// Runs the agent beside a watcher for `stop` and a timer for `timeout`; whichever
    /// ends first cancels the others, so a stop or a timeout stops the run (and its model
    /// request) at once. Returns once the run has stopped: as `stopOutcome()` when stopped,
    /// as ``TaskOutcome/cancelled`` when the calling task was cancelled.
    static func outcome(
        runner: AgentRunner,
        agent: Agent,
        messages: [ChatMessage],
        timeout: Duration?,
        clock: any Clock<Duration>,
        stop: OneWaySignal?,
        stopOutcome: @escaping @Sendable () -> TaskOutcome = { .cancelled },
        onEvent: @escaping @Sendable (StreamEvent) -> Void
    ) async -> TaskOutcome {
        if stop == nil && timeout == nil {
            return await drive(runner.stream(agent, messages: messages), onEvent: onEvent)
        }
        return await withTaskGroup(of: Ending.self) { group in
            group.addTask { .finished(await drive(runner.stream(agent, messages: messages), onEvent: onEvent)) }
            if let stop {
                group.addTask {
                    await stop.wait()
                    return .stopRequested
                }
            }
            if let timeout {
                group.addTask {
                    do {
                        try await clock.sleep(for: timeout)
                        return .timedOut(timeout)
                    } catch {
                        return .finished(.cancelled)
                    }
                }
            }
            let first = await group.next() ?? .finished(.cancelled)
            group.cancelAll()
            switch first {
            case .finished(let outcome): return outcome
            case .stopRequested: return Task.isCancelled ? .cancelled : stopOutcome()
            case .timedOut(let limit): return .timedOut(after: limit)
            }
        }
    }

    /// Iterates the run to its `complete` event.
    private static func drive(_ events: AgentRunStream, onEvent: @Sendable (StreamEvent) -> Void) async -> TaskOutcome {
        do {
            for try await event in events {
                onEvent(event)
                if case .complete(let result) = event.kind { return .completed(result) }
            }
            return .cancelled
        } catch StreamingError.cancelled {
            return .cancelled
        } catch is CancellationError {
            return .cancelled
        } catch {
            return .failed(error)
        }
    }
}
