import StreamingDomain

extension EventBus {
    /// Waits for the first event matching `topic` (a pattern when it contains `*`) that is
    /// emitted after this call starts.
    ///
    /// The temporary listener is removed however the wait ends.
    ///
    /// - Parameters:
    ///   - timeout: How long to wait, measured on `clock`.
    ///   - clock: The clock the timeout runs on; tests may pass their own.
    /// - Throws: `StreamingError.timeout(_:)` when nothing arrives in time,
    ///   `StreamingError.cancelled` as soon as the waiting task is cancelled,
    ///   `StreamingError.listenerLimitExceeded(topic:limit:)` when `topic`
    ///   has no room for the temporary listener.
    public func waitForEvent(
        _ topic: String,
        timeout: Duration,
        clock: some Clock<Duration> = ContinuousClock()
    ) async throws -> BusEvent {
        if Task.isCancelled { throw StreamingError.cancelled }
        let waiter = EventWaiter()
        // Registered before suspending, so an event emitted by the next line of the caller's
        // code, or by another thread right now, is not missed.
        let id = try once(topic) { event in waiter.finish(.success(event)) }
        let timer = Task {
            do {
                try await clock.sleep(for: timeout)
            } catch {
                return  // Cancelled because the wait ended first.
            }
            waiter.finish(.failure(StreamingError.timeout("no \"\(topic)\" event within \(timeout)")))
        }
        defer {
            // A `once` listener that fired is already gone; after a timeout or a
            // cancellation this is what keeps the listener from leaking.
            off(id)
            timer.cancel()
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiter.install(continuation)
            }
        } onCancel: {
            waiter.finish(.failure(StreamingError.cancelled))
        }
    }
}
