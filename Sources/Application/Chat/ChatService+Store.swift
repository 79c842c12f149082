import DequeModule
import StreamingDomain

/// A change for the store, queued by a handler and written by ``ChatService/run()`` in order.
enum StoreOperation: Sendable {
    case append(RoomMessage)
    case save(Room)
    case delete(String)
}

/// The store writes not yet done, oldest first.
///
/// A batch stays at the front of the queue while it is being written, so a history read that
/// looks here when it starts also sees the messages the store may not have yet.
struct WriteQueue {
    var operations: Deque<StoreOperation> = []
    /// Failed attempts since the service started.
    var failures = 0
    /// Set once every answer has ended: the writer ends when the queue is empty.
    var stopRequested = false
    /// Set by the writer as it ends; nothing can be queued after.
    var isClosed = false
}

extension ChatService {
    /// The most messages written to the store in one `append`.
    static let writeBatchSize = 256

    /// Queues an operation whatever the queue's length (answers, notices, room changes).
    func enqueue(_ operation: StoreOperation) {
        let queued = writes.withLock { queue -> Bool in
            guard !queue.isClosed else { return false }
            queue.operations.append(operation)
            return true
        }
        if queued {
            writerWakeup.wake()
        } else {
            logger.error("not stored: the chat store writer has stopped", metadata: ["operation": "\(operation)"])
        }
    }

    /// Queues a user's message, or refuses it with `server_busy` when
    /// ``ChatOptions/maxPendingWrites`` writes wait already (the store is down or too slow).
    func enqueueBounded(_ operation: StoreOperation) throws(ProtocolFailure) {
        try writes.withLock { queue throws(ProtocolFailure) in
            guard !queue.isClosed else { throw ProtocolFailure(.serverBusy, "the server is shutting down") }
            guard queue.operations.count < options.maxPendingWrites else {
                throw ProtocolFailure(
                    .serverBusy, "\(queue.operations.count) messages are waiting to be stored; try again shortly")
            }
            queue.operations.append(operation)
        }
        writerWakeup.wake()
    }

    /// The last `limit` messages of `room` below `before` that are queued or being written.
    func unwrittenMessages(ofRoom room: String, before: Int, limit: Int) -> [RoomMessage] {
        writes.withLock { queue in
            var found: [RoomMessage] = []
            for case .append(let message) in queue.operations.reversed()
            where message.room == room && message.seq < before {
                found.append(message)
                if found.count == limit { break }
            }
            return found.reversed()
        }
    }

    /// The store writer: writes queued operations in order, batching consecutive messages,
    /// until ``run()`` asks it to stop and the queue is empty.
    func writeAll() async {
        while true {
            let batch = writes.withLock { queue -> [StoreOperation]? in
                guard let first = queue.operations.first else {
                    if queue.stopRequested {
                        queue.isClosed = true
                        return nil
                    }
                    return []
                }
                guard case .append = first else { return [first] }
                var batch: [StoreOperation] = []
                for operation in queue.operations.prefix(Self.writeBatchSize) {
                    guard case .append = operation else { break }
                    batch.append(operation)
                }
                return batch
            }
            guard let batch else { return }
            if batch.isEmpty {
                await writerWakeup.wait(cancellable: false)
                continue
            }
            await write(batch)
            writes.withLock { $0.operations.removeFirst(batch.count) }
        }
    }

    /// Writes one batch, retrying with backoff while the store fails.
    ///
    /// A store that refuses the input itself (`invalid_input`: a message for a room it does
    /// not hold, a `seq` it has) will refuse it again: such a batch is retried one operation
    /// at a time and what is refused is logged and dropped, so one bad message does not stop
    /// every room's writes. Once the service is shutting down, a batch that has failed three
    /// times is logged and dropped, so a dead store cannot keep `run()` from returning.
    private func write(_ batch: [StoreOperation]) async {
        var attempt = 0
        while true {
            do {
                try await perform(batch)
                if attempt > 0 { logger.notice("chat store writes resumed", metadata: ["attempts": "\(attempt + 1)"]) }
                return
            } catch StreamingError.invalidInput(let detail) {
                if batch.count > 1 {
                    for operation in batch { await write([operation]) }
                } else {
                    logger.error(
                        "the chat store refused a write; dropped",
                        metadata: ["operation": "\(batch[0])", "error": "\(detail)"])
                }
                return
            } catch {
                attempt += 1
                let stopping = writes.withLock { queue in
                    queue.failures += 1
                    return queue.stopRequested
                }
                if (stopping || Task.isCancelled) && attempt >= 3 {
                    logger.error(
                        "chat store writes lost at shutdown", metadata: ["operations": "\(batch.count)", "error": "\(error)"])
                    return
                }
                let delay = Self.backoff(attempt: attempt)
                logger.warning(
                    "chat store write failed; retrying",
                    metadata: ["attempt": "\(attempt)", "retry_in": "\(delay)", "error": "\(error)"])
                try? await stopwatch.sleep(delay)
            }
        }
    }

    private func perform(_ batch: [StoreOperation]) async throws {
        switch batch[0] {
        case .save(let room): try await store.saveRoom(room)
        case .delete(let name): try await store.deleteRoom(named: name)
        case .append:
            let messages = batch.compactMap { operation -> RoomMessage? in
                if case .append(let message) = operation { return message }
                return nil
            }
            try await store.append(messages)
        }
    }

    /// 100 ms, doubling, at most 5 s.
    static func backoff(attempt: Int) -> Duration {
        .milliseconds(min(5_000, 100 << min(attempt - 1, 6)))
    }
}
