import FoundationEssentials
import StreamingApplication
import StreamingDomain

extension RedisJobQueue {
    /// How many ready jobs at the head of each priority's list ``stats(now:)`` looks at for
    /// the oldest wait. The head is the oldest unless long-overdue scheduled jobs were
    /// promoted behind newer ones; looking at a few bounds the cost of `stats`.
    public static let oldestSample = 16

    /// The job with `id`; a record that cannot be read throws `StreamingError.protocol`
    /// (`"corrupt record: …"`).
    public func job(_ id: JobID) async throws -> Job? {
        let reply = try await pool.withConnection { try await $0.send(RedisCommand("HGETALL", prefix + "job:" + id.rawValue)) }
        guard let flat = try reply.checked("HGETALL").array else { throw unexpected("HGETALL", [reply]) }
        if flat.isEmpty { return nil }
        do {
            return try JobRecord(flat: flat, expectedID: id).job
        } catch let unreadable as JobRecord.Unreadable {
            throw unreadable.error
        }
    }

    /// Dead jobs, oldest first. A dead record that cannot be read is left out (and logged).
    public func deadJobs(limit: Int) async throws -> [Job] {
        guard limit > 0 else { return [] }
        let command = JobScripts.deadJobs.command(arguments: [prefix, String(limit)])
        let reply = try await pool.withConnection { try await $0.evaluate(JobScripts.deadJobs, command) }
        guard let records = reply.array else { throw unexpected("dead jobs", [reply]) }
        return records.compactMap { record in
            do {
                return try JobRecord(flat: record.array ?? []).job
            } catch {
                logger.error("a dead job record cannot be read", metadata: ["error": "\(error)"])
                return nil
            }
        }
    }

    /// Makes dead jobs (those in `ids`, or all) ready again with their attempts reset, in
    /// one script. Returns how many.
    public func requeueDead(_ ids: [JobID]?, now: Date) async throws -> Int {
        var command = JobScripts.requeueDead.command(arguments: [prefix, JobRecord.text(now), ids == nil ? "all" : "ids"])
        for id in ids ?? [] { command.append(id.rawValue) }
        let reply = try await pool.withConnection { try await $0.evaluate(JobScripts.requeueDead, command) }
        guard let count = reply.integer else { throw unexpected("requeue", [reply]) }
        return Int(count)
    }

    /// Counts of the namespace; `oldestWaitingAge` looks at the first
    /// ``oldestSample`` ready jobs of each priority.
    public func stats(now: Date) async throws -> JobQueueStats {
        let command = JobScripts.stats.command(arguments: [prefix, String(Self.oldestSample)])
        let reply = try await pool.withConnection { try await $0.evaluate(JobScripts.stats, command) }
        guard let values = reply.array, values.count == 8 else { throw unexpected("stats", [reply]) }
        let counts = values.prefix(7).map { Int($0.integer ?? 0) }
        let oldest = values[7].string.flatMap(JobRecord.date)
        return JobQueueStats(
            waiting: [.high: counts[0], .normal: counts[1], .low: counts[2]],
            scheduled: counts[3],
            processing: counts[4],
            dead: counts[5],
            completed: counts[6],
            oldestWaitingAge: oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0
        )
    }

    /// A `PING` round trip to the server, for `/health`.
    public func healthCheck(now: Date) async throws -> String? {
        let reply = try await pool.send(RedisCommand("PING"))
        guard reply.string == "PONG" else { throw StreamingError.connection("Redis answered PING with \(reply)") }
        return "redis (queue \(queueName))"
    }
}
