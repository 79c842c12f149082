import Synchronization

/// Stops running tasks that pass their deadline: one keeper for the whole pool.
///
/// A timer per task (a sleeping child beside each run) cost about 15 µs of CPU per task,
/// more than everything else the pool does. The keeper holds the deadlines of the running
/// tasks (at most the pool size) and sleeps until the earliest; since every task usually
/// has the same timeout, a new deadline is later than the one it sleeps on, and it wakes
/// about once per timeout period instead of once per task.
protocol TaskDeadlines: Sendable {
    /// Stops `record` as timed out unless it has ended within `timeout` from now.
    func start(_ record: TaskRecord, timeout: Duration)
    /// Forgets the deadline of task `id`, which has ended.
    func end(_ id: TaskID)
    /// Fires deadlines as they come, until the calling task is cancelled.
    func run() async
}

/// A ``TaskDeadlines`` on any clock; generic, so instants are compared without boxing.
final class DeadlineKeeper<C: Clock>: TaskDeadlines where C.Duration == Duration {
    private struct Entry {
        var deadline: C.Instant
        var record: TaskRecord
        var timeout: Duration
    }

    private struct State {
        var entries: [TaskID: Entry] = [:]
        /// The deadline the keeper sleeps until, if it sleeps on one.
        var sleepingUntil: C.Instant?
        /// Wakes the keeper early: when an earlier deadline comes, or when it waits for any.
        var kick = OneWaySignal()
    }

    private let clock: C
    private let state = Mutex(State())

    init(clock: C) {
        self.clock = clock
    }

    func start(_ record: TaskRecord, timeout: Duration) {
        let deadline = clock.now.advanced(by: timeout)
        let kick = state.withLock { state -> OneWaySignal? in
            state.entries[record.id] = Entry(deadline: deadline, record: record, timeout: timeout)
            guard let sleepingUntil = state.sleepingUntil else { return state.kick }
            return deadline < sleepingUntil ? state.kick : nil
        }
        kick?.set()
    }

    func end(_ id: TaskID) {
        _ = state.withLock { $0.entries.removeValue(forKey: id) }
    }

    func run() async {
        while !Task.isCancelled {
            let (earliest, kick) = state.withLock { state -> (C.Instant?, OneWaySignal) in
                state.kick = OneWaySignal()
                let earliest = state.entries.values.min { $0.deadline < $1.deadline }?.deadline
                state.sleepingUntil = earliest
                return (earliest, state.kick)
            }
            if let earliest {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { try? await self.clock.sleep(until: earliest, tolerance: nil) }
                    group.addTask { await kick.wait() }
                    await group.next()
                    group.cancelAll()
                }
            } else {
                await kick.wait()
            }
            fireExpired()
        }
    }

    private func fireExpired() {
        let now = clock.now
        let expired = state.withLock { state -> [Entry] in
            let expired = state.entries.values.filter { $0.deadline <= now }
            for entry in expired { state.entries[entry.record.id] = nil }
            return expired
        }
        for entry in expired { entry.record.requestStop(.timedOut(after: entry.timeout)) }
    }
}

/// Opens the existential clock, so the keeper is specialised for its concrete type.
func makeDeadlines(_ clock: some Clock<Duration>) -> any TaskDeadlines {
    DeadlineKeeper(clock: clock)
}
