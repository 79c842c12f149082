import FoundationEssentials
import Logging
import StreamingApplication
import StreamingDomain

/// A ``JobQueue`` in Redis: durable (as durable as the server's persistence settings) and
/// shared by every process that uses the same server and namespace.
///
/// Every step that reads and changes several keys (enqueue, claim with promotion of due
/// scheduled jobs, complete, fail, release, renew, recovery of ended leases) is one Lua
/// script, so it is atomic and costs one round trip; a crashed worker's jobs come back
/// through ``recoverExpiredLeases(now:)`` exactly as with `InMemoryJobQueue`. Times are
/// the caller's (`now`), never the server's clock; only the retention of completed jobs
/// uses Redis's own expiry.
///
/// A job hash that cannot be read (missing or unknown fields, values that do not parse)
/// is moved to the dead jobs by ``claim(limit:lease:now:)`` with `lastError`
/// `"corrupt record: …"`, and the claim goes on with the other jobs; ``job(_:)`` reports
/// it as `StreamingError.protocol`.
///
/// Needs Redis 6.2 or later (`LPOP` with a count); standalone servers only (no Cluster
/// redirections), although every key of a namespace shares one hash slot.
public final class RedisJobQueue: JobQueue {
    /// The namespace: every key of the default queue starts with `{namespace}:`, every key of
    /// the queue named `emails` with `{namespace:emails}:`.
    public let namespace: String
    /// The queue's name in the namespace (``QueueName``); `default` unless given.
    public let queueName: String
    /// How long a completed job (and its idempotency key) is kept with its result.
    public let completedRetention: Duration
    let pool: RedisConnectionPool
    let prefix: String
    let logger: Logger

    /// Jobs per enqueue script: a batch is split into scripts of this many, all sent in
    /// one pipeline, so no single script holds the server for long.
    public static let enqueueChunk = 1_000
    /// Due scheduled jobs promoted per claim, at most; the rest on the next claim.
    public static let promoteLimit = 10_000

    /// A queue on the server at `url` (`redis://[[user]:password@]host[:port][/db]`).
    ///
    /// - Parameters:
    ///   - namespace: the key prefix; queues with different namespaces share nothing.
    ///   - queue: the queue's name (``QueueName``): named queues on one server and namespace
    ///     never claim each other's jobs.
    ///   - completedRetention: how long completed jobs keep their result.
    ///   - connections: how many connections concurrent calls spread over.
    /// - Throws: `StreamingError.configuration(variable: "REDIS_URL", …)` for a malformed
    ///   URL (without repeating the password), `StreamingError.invalidInput` for a bad namespace or queue name.
    public convenience init(
        url: String,
        namespace: String = "raaf",
        queue: String = QueueName.defaultName,
        completedRetention: Duration = .seconds(3600),
        connections: Int = 4,
        logger: Logger = Logger(label: LogLabel.background)
    ) throws {
        try self.init(
            configuration: RedisConfiguration(url: url),
            namespace: namespace,
            queue: queue,
            completedRetention: completedRetention,
            connections: connections,
            logger: logger
        )
    }

    /// A queue on the server of `configuration`; see ``init(url:namespace:completedRetention:connections:logger:)``.
    public init(
        configuration: RedisConfiguration,
        namespace: String = "raaf",
        queue: String = QueueName.defaultName,
        completedRetention: Duration = .seconds(3600),
        connections: Int = 4,
        logger: Logger = Logger(label: LogLabel.background)
    ) throws {
        guard QueueName.isValid(queue) else { throw StreamingError.invalidInput(QueueName.problem(queue)) }
        guard !namespace.isEmpty, !namespace.contains("{"), !namespace.contains("}") else {
            throw StreamingError.invalidInput("a Redis namespace must be non-empty and without braces")
        }
        guard completedRetention >= .zero else {
            throw StreamingError.invalidInput("completedRetention must not be negative")
        }
        self.namespace = namespace
        self.completedRetention = completedRetention
        self.queueName = queue
        self.prefix = queue == QueueName.defaultName ? "{\(namespace)}:" : "{\(namespace):\(queue)}:"
        self.pool = RedisConnectionPool(configuration: configuration, size: connections, name: "raaf-jobs")
        self.logger = logger
    }

    /// Stores `jobs` in order: batches of up to ``enqueueChunk`` jobs per script, every
    /// script of the call in one pipeline. A job whose idempotency key is known gets the
    /// first job's id. Invalid jobs are refused (`StreamingError.invalidInput`) before any is stored.
    public func enqueue(_ jobs: [NewJob], now: Date) async throws -> [JobID] {
        for job in jobs { try Self.validate(job) }
        guard !jobs.isEmpty else { return [] }
        let nowText = JobRecord.text(now)
        var ids: [JobID] = []
        ids.reserveCapacity(jobs.count)
        var commands: [RedisCommand] = []
        var random = SystemRandomNumberGenerator()
        // Several scripts in one pipeline carry their source, so they cannot run out of order.
        let sendingSource = jobs.count > Self.enqueueChunk
        for chunk in stride(from: 0, to: jobs.count, by: Self.enqueueChunk) {
            var command = JobScripts.enqueue.command(arguments: [prefix, nowText], sendingSource: sendingSource)
            for new in jobs[chunk..<min(chunk + Self.enqueueChunk, jobs.count)] {
                let id = JobID.random(using: &random)
                ids.append(id)
                let runAt = new.runAt ?? now
                command.append(id.rawValue)
                command.append(new.name)
                command.append(new.payload)
                command.append(new.priority.rawValue)
                command.append(runAt > now ? JobState.scheduled.rawValue : JobState.waiting.rawValue)
                command.append(JobRecord.text(runAt))
                command.append(new.maxAttempts)
                command.append(new.idempotencyKey ?? "")
            }
            commands.append(command)
        }
        let replies = try await pool.withConnection { try await $0.evaluate(JobScripts.enqueue, pipelined: commands) }
        // Each script answers {position, id} for the jobs whose key was already taken.
        for (chunk, reply) in replies.enumerated() {
            guard let known = reply.array, known.count % 2 == 0 else { throw unexpected("enqueue", replies) }
            for pair in stride(from: 0, to: known.count, by: 2) {
                guard let position = known[pair].integer, let existing = known[pair + 1].string,
                      case let index = chunk * Self.enqueueChunk + Int(position) - 1, ids.indices.contains(index)
                else { throw unexpected("enqueue", replies) }
                ids[index] = JobID(rawValue: existing)
            }
        }
        return ids
    }

    /// One script: promotes due scheduled jobs (at most ``promoteLimit``), then leases up to
    /// `limit` ready jobs, highest priority first, oldest first. Unreadable records met on
    /// the way are moved to the dead jobs as corrupt, and the claim goes on without them.
    public func claim(limit: Int, lease: Duration, now: Date) async throws -> [ClaimedJob] {
        guard limit > 0 else { return [] }
        let expiresAt = now.addingTimeInterval(lease.timeInterval)
        let command = JobScripts.claim.command(arguments: [
            prefix, JobRecord.text(now), String(limit), JobRecord.text(expiresAt),
            UUID().uuidString, String(Self.promoteLimit),
        ])
        let reply = try await pool.withConnection { try await $0.evaluate(JobScripts.claim, command) }
        guard let parts = reply.array, parts.count % 3 == 1, let buried = parts[0].array else { throw unexpected("claim", [reply]) }
        for entry in buried {
            logger.error("moved an unreadable job record to the dead jobs", metadata: ["record": "\(entry.string ?? "?")"])
        }
        var claimed: [ClaimedJob] = []
        claimed.reserveCapacity(parts.count / 3)
        var unreadable: [(lease: JobLease, reason: String)] = []
        for index in stride(from: 1, to: parts.count, by: 3) {
            guard let id = parts[index].string.map(JobID.init(rawValue:)), let token = parts[index + 1].string,
                  let flat = parts[index + 2].array
            else { throw unexpected("claim", [reply]) }
            do {
                var job = try JobRecord(flat: flat, expectedID: id).job
                job.state = .processing
                job.attempts += 1
                claimed.append(ClaimedJob(job: job, lease: JobLease(id: id, token: token), leaseExpiresAt: expiresAt))
            } catch let error as JobRecord.Unreadable {
                unreadable.append((JobLease(id: id, token: token), error.reason))
            }
        }
        if !unreadable.isEmpty { try await bury(unreadable, now: now) }
        return claimed
    }

    /// Completes the attempts whose lease is still held, in one script; each completed job
    /// (and its idempotency key) expires after ``completedRetention``.
    public func complete(_ completions: [JobCompletion], now: Date) async throws -> [JobLease] {
        guard !completions.isEmpty else { return [] }
        let milliseconds = completedRetention.milliseconds
        var command = JobScripts.complete.command(arguments: [prefix, String(milliseconds)])
        for completion in completions {
            command.append(completion.lease.id.rawValue)
            command.append(completion.lease.token)
            command.append(completion.result == nil ? "0" : "1")
            command.append(completion.result ?? [])
        }
        let held = try await heldFlags(JobScripts.complete, command, count: completions.count)
        return zip(completions, held).compactMap { $1 ? $0.lease : nil }
    }

    /// Ends a held attempt as failed: scheduled again at `retryAt` while attempts remain,
    /// else dead. Returns whether the lease was held.
    public func fail(_ lease: JobLease, error: String, retryAt: Date?, now: Date) async throws -> Bool {
        let command = JobScripts.fail.command(arguments: [
            prefix, JobRecord.text(now), lease.id.rawValue, lease.token, error, retryAt.map(JobRecord.text) ?? "",
        ])
        let reply = try await pool.withConnection { try await $0.evaluate(JobScripts.fail, command) }
        guard let held = reply.integer else { throw unexpected("fail", [reply]) }
        return held == 1
    }

    /// Gives held jobs back at the front of their priority's list, their attempt uncounted.
    public func release(_ leases: [JobLease], now: Date) async throws -> [JobLease] {
        guard !leases.isEmpty else { return [] }
        var command = JobScripts.release.command(arguments: [prefix, JobRecord.text(now)])
        for lease in leases {
            command.append(lease.id.rawValue)
            command.append(lease.token)
        }
        let held = try await heldFlags(JobScripts.release, command, count: leases.count)
        return zip(leases, held).compactMap { $1 ? $0 : nil }
    }

    /// Moves a held lease's end to `now + duration`. Returns whether it was held.
    public func renew(_ lease: JobLease, lease duration: Duration, now: Date) async throws -> Bool {
        let expiresAt = now.addingTimeInterval(duration.timeInterval)
        let command = JobScripts.renew.command(arguments: [prefix, lease.id.rawValue, lease.token, JobRecord.text(expiresAt)])
        let reply = try await pool.withConnection { try await $0.evaluate(JobScripts.renew, command) }
        guard let held = reply.integer else { throw unexpected("renew", [reply]) }
        return held == 1
    }

    /// Schedules again at `now` every job whose lease ended before `now` (dead when that
    /// was its last attempt), in one script. Returns how many.
    public func recoverExpiredLeases(now: Date) async throws -> Int {
        let command = JobScripts.recover.command(arguments: [
            prefix, JobRecord.text(now), "the worker's lease ended before it finished",
        ])
        let reply = try await pool.withConnection { try await $0.evaluate(JobScripts.recover, command) }
        guard let count = reply.integer else { throw unexpected("recover", [reply]) }
        return Int(count)
    }

    /// Closes the queue's connections.
    public func shutdown() async throws {
        await pool.close()
    }

    // MARK: Helpers

    static func validate(_ job: NewJob) throws {
        guard !job.name.isEmpty else { throw StreamingError.invalidInput("a job needs a name") }
        guard job.maxAttempts >= 1 else {
            throw StreamingError.invalidInput("maxAttempts of job \(job.name) must be at least 1")
        }
    }

    /// Runs a script that answers 1 or 0 per item.
    private func heldFlags(_ script: RedisScript, _ command: RedisCommand, count: Int) async throws -> [Bool] {
        let reply = try await pool.withConnection { try await $0.evaluate(script, command) }
        guard let flags = reply.array, flags.count == count else { throw unexpected(script.name, [reply]) }
        return flags.map { $0.integer == 1 }
    }

    /// Claimed jobs whose records cannot be read: dead, as corrupt records.
    private func bury(_ unreadable: [(lease: JobLease, reason: String)], now: Date) async throws {
        var command = JobScripts.buryClaimed.command(arguments: [prefix, JobRecord.text(now)])
        for (lease, reason) in unreadable {
            command.append(lease.id.rawValue)
            command.append(lease.token)
            command.append(reason)
            logger.error("moved an unreadable job record to the dead jobs", metadata: ["record": "\(lease.id): \(reason)"])
        }
        _ = try await pool.withConnection { try await $0.evaluate(JobScripts.buryClaimed, command) }
    }

    func unexpected(_ what: String, _ replies: [RedisReply]) -> StreamingError {
        .protocol("unexpected reply to the \(what) script: \(String(describing: replies).prefix(200))")
    }
}
