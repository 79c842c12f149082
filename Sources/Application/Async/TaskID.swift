import StreamingDomain

/// The id ``AsyncRunner`` gives a submitted task: unique within one runner.
public struct TaskID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public var description: String { "task-\(rawValue)" }

    public static func < (lhs: TaskID, rhs: TaskID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where a task of ``AsyncRunner`` is in its life.
public enum TaskStatus: String, Sendable, Hashable, CustomStringConvertible {
    /// Submitted, waiting for a free slot in the pool.
    case pending
    /// Running now.
    case running
    /// Finished with a result.
    case completed
    /// Finished with an error.
    case failed
    /// Stopped by ``AsyncRunner/cancelTask(_:)``, a cancelled caller, or a shutdown.
    case cancelled
    /// Stopped because it ran longer than its timeout.
    case timedOut

    /// Whether the task has ended, one way or another.
    public var isSettled: Bool {
        switch self {
        case .pending, .running: false
        case .completed, .failed, .cancelled, .timedOut: true
        }
    }

    public var description: String { rawValue }
}

/// How a task ended.
public enum TaskOutcome: Sendable {
    case completed(RunResult)
    case failed(any Error)
    case cancelled
    /// The run took longer than `timeout` and was stopped.
    case timedOut(after: Duration)

    /// The status this outcome settles a task in.
    public var status: TaskStatus {
        switch self {
        case .completed: .completed
        case .failed: .failed
        case .cancelled: .cancelled
        case .timedOut: .timedOut
        }
    }

    /// The result of a completed task; `nil` for every other outcome.
    public var result: RunResult? {
        if case .completed(let result) = self { return result }
        return nil
    }

    /// The result, or the error the task ended with: the failure's own error,
    /// ``StreamingError/cancelled``, or ``StreamingError/timeout(_:)``.
    public func get() throws -> RunResult {
        switch self {
        case .completed(let result): return result
        case .failed(let error): throw error
        case .cancelled: throw StreamingError.cancelled
        case .timedOut(let limit): throw StreamingError.timeout("the task ran longer than \(limit)")
        }
    }
}

/// One task's state as ``AsyncRunner/waitForTasks(_:timeout:)`` found it.
public struct TaskReport: Sendable {
    public var id: TaskID
    public var status: TaskStatus
    /// How the task ended; `nil` when it was still pending or running at the wait's deadline.
    public var outcome: TaskOutcome?

    public init(id: TaskID, status: TaskStatus, outcome: TaskOutcome?) {
        self.id = id
        self.status = status
        self.outcome = outcome
    }
}
