#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import StreamingDomain

extension BackgroundProcessor {
    /// What one child task of the run loop reports.
    enum Outcome: Sendable {
        case completed(JobLease, result: [UInt8]?)
        case failed(ClaimedJob, error: String, permanent: Bool)
        case cancelled(JobLease)
        case acknowledged
        case acknowledgeFailed([JobCompletion])
        case tick
        case graceOver
    }

    /// Claims and runs jobs until ``shutdown()`` is called (also before the run begins: then
    /// it returns at once) or the calling task is cancelled, then drains: running jobs get `shutdownGrace` to finish, the rest are
    /// cancelled and given back to the queue without losing an attempt.
    ///
    /// - Throws: ``StreamingError/invalidInput(_:)`` when this processor is already running.
    public func run() async throws {
        let started = control.withLock { state -> Bool in
            guard !state.running else { return false }
            state.running = true
            // A shutdown asked before the run began (the worker's SIGTERM on its first line)
            // stands: the run claims nothing and returns.
            return true
        }
        guard started else { throw StreamingError.invalidInput("this background processor is already running") }
        defer { control.withLock { $0 = ControlState() } }
        logger.info("background processor started", metadata: ["workers": "\(options.workers)"])

        try await withThrowingTaskGroup(of: Outcome.self) { group in
            var loop = LoopState()
            let claimThreshold = max(1, options.workers / 2)
            let recoveryInterval = min(options.lease / 2, .seconds(5)).timeInterval
            var nextRecovery = Date.distantPast
            var nextRenewalCheck = Date.distantPast

            while !Task.isCancelled && !isStopping {
                let wallNow = now()
                if wallNow >= nextRecovery {
                    await recoverExpiredLeases(now: wallNow)
                    nextRecovery = wallNow.addingTimeInterval(recoveryInterval)
                }
                let free = options.workers - loop.active
                var idle = false
                if free >= claimThreshold || loop.active == 0 {
                    let claimed = await claim(limit: free, now: wallNow)
                    for job in claimed {
                        loop.active += 1
                        loop.running[job.job.id] = (job.lease, wallNow)
                        group.addTask { await self.execute(job) }
                    }
                    control.withLock { $0.active = loop.active }
                    idle = claimed.isEmpty
                }
                if idle { startAcknowledging(&loop, in: &group) }
                if loop.active > 0, wallNow >= nextRenewalCheck {
                    await renewLongRunning(&loop, now: wallNow)
                    nextRenewalCheck = wallNow.addingTimeInterval((options.lease / 6).timeInterval)
                }
                // A tick now and then keeps the loop turning while every worker is busy.
                if !loop.timerRunning {
                    loop.timerRunning = true
                    group.addTask { [clock, options] in
                        try? await clock.sleep(for: options.pollInterval)
                        return .tick
                    }
                }
                guard let outcome = try await group.next() else { continue }
                await record(outcome, into: &loop)
                // Acknowledge in batches, but never sit on acknowledgements while nothing runs.
                if loop.acks.count >= claimThreshold || loop.active == 0 { startAcknowledging(&loop, in: &group) }
            }

            // Drain: no more claims; running jobs finish or, after the grace, are cancelled.
            logger.info("background processor stopping", metadata: ["running_jobs": "\(loop.active)"])
            if loop.active > 0 {
                group.addTask { [clock, options] in
                    try? await clock.sleep(for: options.shutdownGrace)
                    return .graceOver
                }
            }
            while loop.active > 0 || loop.acksInFlight > 0, let outcome = try await group.next() {
                if case .graceOver = outcome {
                    logger.warning("shutdown grace over: cancelling running jobs", metadata: ["jobs": "\(loop.active)"])
                    group.cancelAll()
                }
                await record(outcome, into: &loop)
            }
            group.cancelAll()
            await flush(&loop)
            await giveBack(&loop)
        }
        logger.info("background processor stopped")
    }

    struct LoopState {
        var active = 0
        /// Acknowledgement batches on their way to the queue.
        var acksInFlight = 0
        /// Running jobs and when their lease was last renewed.
        var running: [JobID: (lease: JobLease, renewedAt: Date)] = [:]
        var acks: [JobCompletion] = []
        var cancelled: [JobLease] = []
        var timerRunning = false
    }

    /// Runs one job under its lease, renewing the lease while a long job runs.
    func execute(_ claimed: ClaimedJob) async -> Outcome {
        let job = claimed.job
        guard let handler = handler(named: job.name) else {
            let known = registeredJobNames.joined(separator: ", ")
            return .failed(
                claimed,
                error: "no handler is registered for job name \"\(job.name)\" (registered: \(known))",
                permanent: true
            )
        }
        let context = JobContext(job: job, lease: claimed.lease)
        do {
            let result = try await handler.run(context)
            return .completed(claimed.lease, result: result)
        } catch {
            if Task.isCancelled { return .cancelled(claimed.lease) }
            return .failed(claimed, error: String(describing: error), permanent: Self.isPermanent(error))
        }
    }

    /// Whether a job that threw `error` is dead at once instead of retried: bad input
    /// (``StreamingError/invalidInput(_:)``) cannot get better by running again.
    public static func isPermanent(_ error: any Error) -> Bool {
        if case StreamingError.invalidInput = error { return true }
        return false
    }

    /// Renews the leases of jobs that have run for a third of the lease, so a long job is
    /// not delivered again while it still runs.
    private func renewLongRunning(_ loop: inout LoopState, now wallNow: Date) async {
        let renewAfter = (options.lease / 3).timeInterval
        for (id, running) in loop.running where wallNow.timeIntervalSince(running.renewedAt) >= renewAfter {
            do {
                if try await queue.renew(running.lease, lease: options.lease, now: wallNow) {
                    loop.running[id]?.renewedAt = wallNow
                } else {
                    logger.warning("lost the lease of a running job", metadata: ["job": "\(id)"])
                    loop.running[id] = nil
                }
            } catch {
                logger.warning("could not renew a lease", metadata: ["job": "\(id)", "error": "\(error)"])
            }
        }
    }

    private func record(_ outcome: Outcome, into loop: inout LoopState) async {
        switch outcome {
        case .tick:
            loop.timerRunning = false
            return
        case .graceOver:
            return
        case .acknowledged:
            loop.acksInFlight -= 1
            return
        case .acknowledgeFailed(let acks):
            // Kept for the next batch; if the leases end first, the jobs run again: nothing is lost.
            loop.acksInFlight -= 1
            loop.acks.append(contentsOf: acks)
            return
        case .completed(let lease, let result):
            loop.running[lease.id] = nil
            loop.acks.append(JobCompletion(lease: lease, result: result))
        case .cancelled(let lease):
            loop.running[lease.id] = nil
            loop.cancelled.append(lease)
        case .failed(let claimed, let error, let permanent):
            loop.running[claimed.job.id] = nil
            await fail(claimed, error: error, permanent: permanent)
        }
        loop.active -= 1
        control.withLock {
            $0.active = loop.active
            $0.processed += 1
        }
    }

    private func fail(_ claimed: ClaimedJob, error: String, permanent: Bool) async {
        let job = claimed.job
        let wallNow = now()
        let retryAt: Date? =
            permanent || job.attempts >= job.maxAttempts
            ? nil : wallNow.addingTimeInterval(options.backoff.delay(beforeRetry: job.attempts).timeInterval)
        do {
            _ = try await Self.uncancelled { [queue] in
                try await queue.fail(claimed.lease, error: error, retryAt: retryAt, now: wallNow)
            }
            if let retryAt {
                logger.info(
                    "job failed; it will be retried",
                    metadata: ["job": "\(job.id)", "name": "\(job.name)", "attempt": "\(job.attempts)",
                               "retry_at": "\(retryAt)", "error": "\(error)"]
                )
            } else {
                logger.warning(
                    "job is dead",
                    metadata: ["job": "\(job.id)", "name": "\(job.name)", "attempts": "\(job.attempts)", "error": "\(error)"]
                )
            }
        } catch {
            // The lease will end and the job come back: nothing is lost.
            logger.warning("could not record a job failure", metadata: ["job": "\(job.id)", "error": "\(error)"])
        }
    }

    private func claim(limit: Int, now: Date) async -> [ClaimedJob] {
        do {
            return try await queue.claim(limit: limit, lease: options.lease, now: now)
        } catch {
            logger.warning("could not claim jobs", metadata: ["error": "\(error)"])
            return []
        }
    }

    private func recoverExpiredLeases(now: Date) async {
        do {
            let recovered = try await queue.recoverExpiredLeases(now: now)
            if recovered > 0 { logger.info("jobs of lost workers recovered", metadata: ["jobs": "\(recovered)"]) }
        } catch {
            logger.warning("could not recover expired leases", metadata: ["error": "\(error)"])
        }
    }

    /// Sends the buffered acknowledgements as one call in a child task, so the loop can
    /// claim the next jobs while the queue records the last ones.
    private func startAcknowledging(_ loop: inout LoopState, in group: inout ThrowingTaskGroup<Outcome, any Error>) {
        guard !loop.acks.isEmpty else { return }
        let acks = loop.acks
        loop.acks.removeAll(keepingCapacity: true)
        loop.acksInFlight += 1
        group.addTask { [self] in await acknowledge(acks) ? .acknowledged : .acknowledgeFailed(acks) }
    }

    /// The last acknowledgements of a stopping processor, awaited in place.
    private func flush(_ loop: inout LoopState) async {
        guard !loop.acks.isEmpty else { return }
        if await acknowledge(loop.acks) { loop.acks.removeAll() }
    }

    /// Acknowledges finished jobs in one call. On failure the jobs' leases will end and
    /// they will run again: nothing is lost, so a failure is only logged.
    private func acknowledge(_ acks: [JobCompletion]) async -> Bool {
        do {
            _ = try await Self.uncancelled { [queue, now] in try await queue.complete(acks, now: now()) }
            return true
        } catch {
            logger.warning("could not acknowledge jobs", metadata: ["jobs": "\(acks.count)", "error": "\(error)"])
            return false
        }
    }

    /// Hands jobs cancelled by the shutdown back to the queue, attempts untouched.
    private func giveBack(_ loop: inout LoopState) async {
        guard !loop.cancelled.isEmpty else { return }
        let leases = loop.cancelled
        do {
            _ = try await Self.uncancelled { [queue, now] in try await queue.release(leases, now: now()) }
            logger.info("running jobs given back to the queue", metadata: ["jobs": "\(leases.count)"])
        } catch {
            logger.warning("could not give jobs back; their leases will end", metadata: ["error": "\(error)"])
        }
        loop.cancelled.removeAll()
    }

    /// Runs `work` even when the calling task is cancelled: the last acknowledgements
    /// of a stopping processor must still reach the queue.
    static func uncancelled<Value: Sendable>(_ work: @escaping @Sendable () async throws -> Value) async throws -> Value {
        try await Task { try await work() }.value
    }
}
