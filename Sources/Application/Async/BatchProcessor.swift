import StreamingDomain

/// Runs one agent over many inputs, at most ``maxConcurrent`` at a time.
///
/// Each item's outcome is reported as soon as it finishes, and all of them are returned in
/// the order of the requests. One item failing is that item's outcome; the batch goes on.
/// ```swift
/// let batch = BatchProcessor(runner: system.runner, agent: summariser, maxConcurrent: 5)
/// let outcomes = await batch.processBatch(documents) { request, outcome in
///     print("#\(request.index): \(outcome.status)")
/// }
/// ```
public struct BatchProcessor: Sendable {
    public let runner: AgentRunner
    public let agent: Agent
    /// The most runs at once.
    public let maxConcurrent: Int
    /// How long one item may run before it is stopped as ``TaskOutcome/timedOut(after:)``;
    /// `nil` for no limit.
    public let timeout: Duration?
    let clock: any Clock<Duration>

    public init(
        runner: AgentRunner,
        agent: Agent,
        maxConcurrent: Int = 5,
        timeout: Duration? = nil,
        clock: any Clock<Duration> = ContinuousClock()
    ) {
        self.runner = runner
        self.agent = agent
        self.maxConcurrent = max(1, maxConcurrent)
        self.timeout = timeout
        self.clock = clock
    }

    /// Runs the agent on every input and returns the outcomes in the order of `inputs`.
    ///
    /// `onEach` is called as each item finishes (in the order they finish), in the caller's
    /// isolation, one call at a time. Cancelling the calling task stops the running items
    /// and reports every unfinished one as ``TaskOutcome/cancelled``.
    public func processBatch(
        _ inputs: [String],
        isolation: isolated (any Actor)? = #isolation,
        onEach: (BatchRequest, TaskOutcome) async -> Void = { _, _ in }
    ) async -> [TaskOutcome] {
        var outcomes = [TaskOutcome?](repeating: nil, count: inputs.count)
        await withTaskGroup(of: (Int, TaskOutcome).self) { group in
            var next = 0
            func startNext() {
                guard next < inputs.count else { return }
                let index = next
                let input = inputs[index]
                next += 1
                group.addTask { [runner, agent, timeout, clock] in
                    let outcome = await RunAttempt.outcome(
                        runner: runner,
                        agent: agent,
                        messages: [.user(input)],
                        timeout: timeout,
                        clock: clock,
                        stop: nil,
                        onEvent: { _ in }
                    )
                    return (index, outcome)
                }
            }
            for _ in 0..<min(maxConcurrent, inputs.count) { startNext() }
            while let (index, outcome) = await group.next() {
                outcomes[index] = outcome
                await onEach(BatchRequest(index: index, input: inputs[index]), outcome)
                if !Task.isCancelled { startNext() }
            }
        }
        return outcomes.map { $0 ?? .cancelled }
    }
}

/// One item of a batch: where it stands in the request list, and its input.
public struct BatchRequest: Sendable, Hashable {
    public var index: Int
    public var input: String

    public init(index: Int, input: String) {
        self.index = index
        self.input = input
    }
}
