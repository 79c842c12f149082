import StreamingDomain
import Synchronization

/// Pulls a pipeline's upstream on a task of its own, at most one event ahead, so that a
/// pipeline with a time-bounded step (``CoalesceProcessor``, ``RechunkProcessor``) can wait
/// for the next event *or* the moment held text falls due, without cancelling the upstream.
///
/// Pipelines without such a step never make one: they pull the upstream directly.
final class UpstreamPump: Sendable {
    let slot = PumpSlot()
    private let pull: Task<Void, Never>
    private let timer = Mutex<Task<Void, Never>?>(nil)

    init<Upstream: AsyncIteratorProtocol>(_ upstream: Upstream) where Upstream.Element == StreamEvent {
        // The iterator moves into the pump's task, and its old owner (the pipeline's iterator)
        // never touches it again: it is used by one task only.
        let moved = UnsafeTransfer<any EventPulling>(IteratorBox(upstream))
        let slot = self.slot
        pull = Task {
            let upstream = moved.value
            while true {
                let pulled: Pulled
                do {
                    pulled = try await upstream.next().map(Pulled.event) ?? .end
                } catch {
                    pulled = .failure(error)
                }
                guard await slot.put(pulled) else { return }
                guard case .event = pulled else { return }
            }
        }
    }

    /// Makes the slot report ``PumpSlot/Taken/expired`` once `expiry` ends.
    func arm(_ expiry: HoldExpiry) {
        let slot = self.slot
        let task = Task {
            try? await expiry.wait()
            slot.expire()
        }
        timer.withLock { $0 = task }
    }

    /// Stops pulling: the upstream's task is cancelled (which stops the model request).
    func cancel() {
        slot.close()
        pull.cancel()
        timer.withLock { $0 }?.cancel()
    }

    deinit { cancel() }
}

/// An upstream iterator behind a class, so the pump's task holds no generic type.
private protocol EventPulling: AnyObject {
    func next() async throws -> StreamEvent?
}

private final class IteratorBox<Upstream: AsyncIteratorProtocol>: EventPulling where Upstream.Element == StreamEvent {
    var iterator: Upstream
    init(_ iterator: Upstream) { self.iterator = iterator }
    func next() async throws -> StreamEvent? { try await iterator.next() }
}

/// What the pump pulled from the upstream.
enum Pulled: Sendable {
    case event(StreamEvent)
    case end
    case failure(any Error)
}

/// A one-place hand-off between the pump's task and the pipeline, which also carries the
/// expiry of held text.
final class PumpSlot: Sendable {
    enum Taken: Sendable {
        case pulled(Pulled)
        case expired
        /// The consumer's task was cancelled, or the pump closed.
        case cancelled
    }

    private struct State {
        var item: Pulled?
        var expired = false
        var closed = false
        var consumer: CheckedContinuation<Taken, Never>?
        var producer: CheckedContinuation<Bool, Never>?
    }

    private let state = Mutex(State())

    /// Hands `item` to the consumer, waiting until it is taken. Returns `false` once the
    /// consumer has gone or the pumping task is cancelled: stop pulling.
    func put(_ item: Pulled) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (producer: CheckedContinuation<Bool, Never>) in
                let (consumer, answer) = state.withLock { state -> (CheckedContinuation<Taken, Never>?, Bool?) in
                    if state.closed || Task.isCancelled { return (nil, false) }
                    if let consumer = state.consumer {
                        state.consumer = nil
                        return (consumer, true)
                    }
                    state.item = item
                    state.producer = producer
                    return (nil, nil)
                }
                consumer?.resume(returning: .pulled(item))
                if let answer { producer.resume(returning: answer) }
            }
        } onCancel: {
            close()
        }
    }

    /// The next pulled item, or `expired` when held text fell due first.
    func take() async -> Taken {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (consumer: CheckedContinuation<Taken, Never>) in
                let (taken, producer) = state.withLock { state -> (Taken?, CheckedContinuation<Bool, Never>?) in
                    if let item = state.item {
                        state.item = nil
                        defer { state.producer = nil }
                        return (.pulled(item), state.producer)
                    }
                    if state.expired {
                        state.expired = false
                        return (.expired, nil)
                    }
                    if state.closed || Task.isCancelled { return (.cancelled, nil) }
                    state.consumer = consumer
                    return (nil, nil)
                }
                producer?.resume(returning: true)
                if let taken { consumer.resume(returning: taken) }
            }
        } onCancel: {
            state.withLock { state in
                defer { state.consumer = nil }
                return state.consumer
            }?.resume(returning: .cancelled)
        }
    }

    /// Held text fell due: wakes the consumer, or tells its next ``take()``.
    func expire() {
        state.withLock { state -> CheckedContinuation<Taken, Never>? in
            guard let consumer = state.consumer else {
                state.expired = true
                return nil
            }
            state.consumer = nil
            return consumer
        }?.resume(returning: .expired)
    }

    /// Ends the hand-off: a waiting producer stops, a waiting consumer is told `cancelled`.
    func close() {
        let (consumer, producer) = state.withLock { state in
            state.closed = true
            state.item = nil
            defer {
                state.consumer = nil
                state.producer = nil
            }
            return (state.consumer, state.producer)
        }
        consumer?.resume(returning: .cancelled)
        producer?.resume(returning: false)
    }
}

/// Moves a value that is not `Sendable` to another task.
///
/// `@unchecked Sendable` is safe only when the sender gives the value up: it never uses it
/// again after wrapping it, so exactly one task ever touches it. ``UpstreamPump`` is the only
/// user, and it wraps the iterator its owner hands over and drops.
struct UnsafeTransfer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
