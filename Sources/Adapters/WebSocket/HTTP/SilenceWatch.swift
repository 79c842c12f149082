import StreamingApplication
import Synchronization

/// Tells an event-stream writer when its response has been silent for an interval: the
/// writer waits for the next frame until ``signal`` is set, then writes a keep-alive and
/// calls ``rearm()``.
final class SilenceWatch: Sendable {
    private struct State {
        var lastWrite = ContinuousClock.now
        var signal = OneWaySignal()
        var interrupted = false
    }

    /// How long a response may stay silent; `nil` never sets the signal (only ``interrupt()`` does).
    let interval: Duration?
    private let state = Mutex(State())

    init(interval: Duration?) {
        self.interval = interval
    }

    /// Set once the response has been silent for ``interval`` (or on ``interrupt()``).
    var signal: OneWaySignal { state.withLock { $0.signal } }

    /// Something was written just now.
    func wrote() {
        state.withLock { $0.lastWrite = .now }
    }

    /// A keep-alive was written: a fresh signal for the next silence.
    func rearm() {
        state.withLock { state in
            state.lastWrite = .now
            if !state.interrupted { state.signal = OneWaySignal() }
        }
    }

    /// Sets the signal for good: the writer must stop waiting (its client went away).
    func interrupt() {
        state.withLock { state in
            state.interrupted = true
            return state.signal
        }.set()
    }

    /// Sets the signal whenever nothing was written for ``interval``, waking `stream`'s
    /// readers so the writer sees it; until the task is cancelled.
    func run(waking stream: AgentStream) async {
        guard let interval else { return }
        while true {
            let deadline = state.withLock { $0.lastWrite } + interval
            do {
                try await Task.sleep(until: deadline, clock: .continuous)
            } catch {
                return
            }
            let silent = state.withLock { state in state.lastWrite + interval <= .now ? state.signal : nil }
            guard let silent else { continue }
            silent.set()
            stream.wakeReaders()
            // The writer now writes a keep-alive, which moves `lastWrite`; look again an interval later.
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
        }
    }
}
