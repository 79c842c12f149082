import FoundationEssentials

/// Identifies a job: a UUID in text form, stable across processes and backends.
public struct JobID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// A new random (version 4) id; see ``UUIDText``.
    public static func random() -> JobID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// A new random (version 4) id from `generator`.
    public static func random(using generator: inout some RandomNumberGenerator) -> JobID {
        JobID(rawValue: UUIDText.random(using: &generator))
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The order in which waiting jobs are claimed: every high job before any normal one,
/// every normal one before any low one; first in, first out within a priority.
public enum JobPriority: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case high
    case normal
    case low

    /// 0 for high, 1 for normal, 2 for low: the order backends sort by.
    public var rank: Int {
        switch self {
        case .high: 0
        case .normal: 1
        case .low: 2
        }
    }

    public static func < (lhs: JobPriority, rhs: JobPriority) -> Bool { lhs.rank < rhs.rank }
}

/// Where a job is in its life.
public enum JobState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting for its run-at time (first run or a retry).
    case scheduled
    /// Ready to be claimed.
    case waiting
    /// Claimed by a worker whose lease has not ended.
    case processing
    /// Done; kept for a while with its result.
    case completed
    /// Failed on every allowed attempt; kept until requeued.
    case dead
}

/// A job as a queue stores it.
public struct Job: Sendable, Hashable {
    public var id: JobID
    /// The handler name, such as `agent` or `send_reminder`.
    public var name: String
    public var payload: [UInt8]
    public var priority: JobPriority
    public var state: JobState
    /// When the job may run (the next retry's time after a failure).
    public var runAt: Date
    public var enqueuedAt: Date
    /// Attempts started so far; a claim starts one.
    public var attempts: Int
    /// Attempts allowed before the job is dead.
    public var maxAttempts: Int
    public var idempotencyKey: String?
    /// The error of the last failed attempt.
    public var lastError: String?
    /// What the handler returned, for a completed job.
    public var result: [UInt8]?

    public init(
        id: JobID,
        name: String,
        payload: [UInt8],
        priority: JobPriority,
        state: JobState,
        runAt: Date,
        enqueuedAt: Date,
        attempts: Int = 0,
        maxAttempts: Int,
        idempotencyKey: String? = nil,
        lastError: String? = nil,
        result: [UInt8]? = nil
    ) {
        self.id = id
        self.name = name
        self.payload = payload
        self.priority = priority
        self.state = state
        self.runAt = runAt
        self.enqueuedAt = enqueuedAt
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.idempotencyKey = idempotencyKey
        self.lastError = lastError
        self.result = result
    }
}

/// A job to enqueue.
public struct NewJob: Sendable, Hashable {
    public var name: String
    public var payload: [UInt8]
    public var priority: JobPriority
    /// When the job may first run; `nil` means now.
    public var runAt: Date?
    /// A second enqueue with the same key returns the first job's id instead of adding a job.
    public var idempotencyKey: String?
    /// Attempts allowed before the job is dead (at least 1).
    public var maxAttempts: Int

    public init(
        name: String,
        payload: [UInt8] = [],
        priority: JobPriority = .normal,
        runAt: Date? = nil,
        idempotencyKey: String? = nil,
        maxAttempts: Int = 4
    ) {
        self.name = name
        self.payload = payload
        self.priority = priority
        self.runAt = runAt
        self.idempotencyKey = idempotencyKey
        self.maxAttempts = maxAttempts
    }

    /// A job whose payload is `value` encoded as JSON.
    public init<Payload: Encodable>(
        name: String,
        json value: Payload,
        priority: JobPriority = .normal,
        runAt: Date? = nil,
        idempotencyKey: String? = nil,
        maxAttempts: Int = 4
    ) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        self.init(
            name: name,
            payload: Array(try encoder.encode(value)),
            priority: priority,
            runAt: runAt,
            idempotencyKey: idempotencyKey,
            maxAttempts: maxAttempts
        )
    }
}

/// The right to finish one claimed attempt of a job. The token changes with every claim,
/// so a worker whose lease ended (and whose job went to another worker) cannot finish it.
public struct JobLease: Sendable, Hashable, Codable {
    public var id: JobID
    public var token: String

    public init(id: JobID, token: String) {
        self.id = id
        self.token = token
    }
}

/// A job handed to a worker, with the lease it must finish it under.
public struct ClaimedJob: Sendable, Hashable {
    public var job: Job
    public var lease: JobLease
    /// When the lease ends; after that the job is delivered again.
    public var leaseExpiresAt: Date

    public init(job: Job, lease: JobLease, leaseExpiresAt: Date) {
        self.job = job
        self.lease = lease
        self.leaseExpiresAt = leaseExpiresAt
    }
}

/// Counts of a queue at one moment.
public struct JobQueueStats: Sendable, Hashable, Codable {
    /// Ready jobs per priority.
    public var waiting: [JobPriority: Int]
    public var scheduled: Int
    public var processing: Int
    public var dead: Int
    /// Jobs completed since the queue was created.
    public var completed: Int
    /// How long the oldest ready job has waited, in seconds; 0 when none waits.
    public var oldestWaitingAge: Double

    public init(
        waiting: [JobPriority: Int] = [:],
        scheduled: Int = 0,
        processing: Int = 0,
        dead: Int = 0,
        completed: Int = 0,
        oldestWaitingAge: Double = 0
    ) {
        self.waiting = waiting
        self.scheduled = scheduled
        self.processing = processing
        self.dead = dead
        self.completed = completed
        self.oldestWaitingAge = oldestWaitingAge
    }

    /// Ready jobs of every priority.
    public var totalWaiting: Int { waiting.values.reduce(0, +) }
}
