import DequeModule
import FoundationEssentials
import HeapModule
import StreamingApplication
import StreamingDomain
import Synchronization

/// A ``JobQueue`` in process memory: for tests and single-process use. Jobs do not
/// survive the process; use the SQLite or Redis queue when they must.
///
/// Completed jobs are kept, with their results, up to `completedLimit`, oldest dropped
/// first, so memory stays bounded however many jobs run.
public final class InMemoryJobQueue: JobQueue {
    private struct Scheduled: Comparable {
        var runAt: Date
        var sequence: UInt64
        var id: JobID
        static func < (lhs: Scheduled, rhs: Scheduled) -> Bool {
            (lhs.runAt, lhs.sequence) < (rhs.runAt, rhs.sequence)
        }
    }

    private struct Lease {
        var token: String
        var expiresAt: Date
    }

    private struct State {
        var jobs: [JobID: Job] = [:]
        var ready: [JobPriority: Deque<JobID>] = [.high: [], .normal: [], .low: []]
        var scheduled = Heap<Scheduled>()
        var leases: [JobID: Lease] = [:]
        var dead: [JobID] = []
        var completedOrder = Deque<JobID>()
        var keys: [String: JobID] = [:]
        var completedCount = 0
        var sequence: UInt64 = 0
    }

    private let state = Mutex(State())
    /// How many completed jobs are kept with their results.
    public let completedLimit: Int

    public init(completedLimit: Int = 10_000) {
        self.completedLimit = completedLimit
    }

    public func enqueue(_ jobs: [NewJob], now: Date) async throws -> [JobID] {
        try jobs.forEach(Self.validate)
        return state.withLock { state in
            jobs.map { new in
                if let key = new.idempotencyKey, let existing = state.keys[key] { return existing }
                let id = JobID.random()
                let runAt = new.runAt ?? now
                let job = Job(
                    id: id,
                    name: new.name,
                    payload: new.payload,
                    priority: new.priority,
                    state: runAt > now ? .scheduled : .waiting,
                    runAt: runAt,
                    enqueuedAt: now,
                    maxAttempts: new.maxAttempts,
                    idempotencyKey: new.idempotencyKey
                )
                state.jobs[id] = job
                if let key = new.idempotencyKey { state.keys[key] = id }
                if job.state == .scheduled {
                    state.sequence += 1
                    state.scheduled.insert(Scheduled(runAt: runAt, sequence: state.sequence, id: id))
                } else {
                    state.ready[job.priority]!.append(id)
                }
                return id
            }
        }
    }

    public func claim(limit: Int, lease: Duration, now: Date) async throws -> [ClaimedJob] {
        guard limit > 0 else { return [] }
        let expiresAt = now.addingTimeInterval(lease.timeInterval)
        return state.withLock { state in
            Self.promoteDue(&state, now: now)
            var claimed: [ClaimedJob] = []
            for priority in JobPriority.allCases {
                while claimed.count < limit, let id = state.ready[priority]!.popFirst() {
                    guard var job = state.jobs[id], job.state == .waiting else { continue }
                    job.state = .processing
                    job.attempts += 1
                    state.jobs[id] = job
                    let token = UUID().uuidString
                    state.leases[id] = Lease(token: token, expiresAt: expiresAt)
                    claimed.append(ClaimedJob(job: job, lease: JobLease(id: id, token: token), leaseExpiresAt: expiresAt))
                }
            }
            return claimed
        }
    }

    public func complete(_ completions: [JobCompletion], now: Date) async throws -> [JobLease] {
        state.withLock { state in
            completions.compactMap { completion in
                guard Self.holds(completion.lease, in: state) else { return nil }
                let id = completion.lease.id
                state.leases[id] = nil
                state.jobs[id]!.state = .completed
                state.jobs[id]!.result = completion.result
                state.completedCount += 1
                state.completedOrder.append(id)
                while state.completedOrder.count > completedLimit, let oldest = state.completedOrder.popFirst() {
                    if let key = state.jobs[oldest]?.idempotencyKey { state.keys[key] = nil }
                    state.jobs[oldest] = nil
                }
                return completion.lease
            }
        }
    }

    public func fail(_ lease: JobLease, error: String, retryAt: Date?, now: Date) async throws -> Bool {
        state.withLock { state in
            guard Self.holds(lease, in: state) else { return false }
            state.leases[lease.id] = nil
            Self.retryOrBury(&state, id: lease.id, error: error, retryAt: retryAt)
            return true
        }
    }

    public func release(_ leases: [JobLease], now: Date) async throws -> [JobLease] {
        state.withLock { state in
            leases.filter { lease in
                guard Self.holds(lease, in: state), var job = state.jobs[lease.id] else { return false }
                state.leases[lease.id] = nil
                job.state = .waiting
                job.attempts -= 1
                state.jobs[lease.id] = job
                // Back at the front: it was next in line before the worker took it.
                state.ready[job.priority]!.prepend(lease.id)
                return true
            }
        }
    }

    public func renew(_ lease: JobLease, lease duration: Duration, now: Date) async throws -> Bool {
        state.withLock { state in
            guard Self.holds(lease, in: state) else { return false }
            state.leases[lease.id]!.expiresAt = now.addingTimeInterval(duration.timeInterval)
            return true
        }
    }

    public func recoverExpiredLeases(now: Date) async throws -> Int {
        state.withLock { state in
            let expired = state.leases.filter { $0.value.expiresAt < now }.keys.sorted { $0.rawValue < $1.rawValue }
            for id in expired {
                state.leases[id] = nil
                Self.retryOrBury(&state, id: id, error: "the worker's lease ended before it finished", retryAt: now)
            }
            return expired.count
        }
    }

    public func job(_ id: JobID) async throws -> Job? {
        state.withLock { $0.jobs[id] }
    }

    public func deadJobs(limit: Int) async throws -> [Job] {
        state.withLock { state in state.dead.prefix(limit).compactMap { state.jobs[$0] } }
    }

    public func requeueDead(_ ids: [JobID]?, now: Date) async throws -> Int {
        state.withLock { state in
            let chosen = ids.map(Set.init)
            var requeued = 0
            state.dead.removeAll { id in
                guard chosen?.contains(id) ?? true, var job = state.jobs[id] else { return false }
                job.state = .waiting
                job.attempts = 0
                job.runAt = now
                state.jobs[id] = job
                state.ready[job.priority]!.append(id)
                requeued += 1
                return true
            }
            return requeued
        }
    }

    public func stats(now: Date) async throws -> JobQueueStats {
        state.withLock { state in
            var oldest: Date?
            for queue in state.ready.values {
                for id in queue {
                    if let runAt = state.jobs[id]?.runAt, runAt < (oldest ?? .distantFuture) { oldest = runAt }
                }
            }
            return JobQueueStats(
                waiting: state.ready.mapValues(\.count),
                scheduled: state.scheduled.count,
                processing: state.leases.count,
                dead: state.dead.count,
                completed: state.completedCount,
                oldestWaitingAge: oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0
            )
        }
    }

    // MARK: Shared steps

    static func validate(_ job: NewJob) throws {
        guard !job.name.isEmpty else { throw StreamingError.invalidInput("a job needs a name") }
        guard job.maxAttempts >= 1 else {
            throw StreamingError.invalidInput("maxAttempts of job \(job.name) must be at least 1")
        }
    }

    private static func holds(_ lease: JobLease, in state: State) -> Bool {
        state.leases[lease.id]?.token == lease.token
    }

    private static func promoteDue(_ state: inout State, now: Date) {
        while let next = state.scheduled.min, next.runAt <= now {
            state.scheduled.removeMin()
            guard var job = state.jobs[next.id], job.state == .scheduled else { continue }
            job.state = .waiting
            state.jobs[next.id] = job
            state.ready[job.priority]!.append(next.id)
        }
    }

    private static func retryOrBury(_ state: inout State, id: JobID, error: String, retryAt: Date?) {
        guard var job = state.jobs[id] else { return }
        job.lastError = error
        if let retryAt, job.attempts < job.maxAttempts {
            job.state = .scheduled
            job.runAt = retryAt
            state.sequence += 1
            state.scheduled.insert(Scheduled(runAt: retryAt, sequence: state.sequence, id: id))
        } else {
            job.state = .dead
            state.dead.append(id)
        }
        state.jobs[id] = job
    }
}
