import CHiredis
import Dispatch
import Foundation
import Synchronization

/// A serial executor that runs its jobs on one thread of its own, so an actor using it may
/// block in system calls (hiredis's blocking reads and writes) without holding a thread of
/// Swift's cooperative pool.
final class ThreadExecutor: SerialExecutor {
    private struct State {
        /// Jobs waiting, oldest first: a handful at most (one per caller awaiting this
        /// connection), so removing from the front of an array costs nothing worth a deque.
        var jobs: [UnownedJob] = []
        var stopping = false
    }

    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)

    /// Starts the thread, named `name` (as `top` and debuggers show it; Linux keeps the
    /// first 15 bytes).
    init(name: String) {
        let shortName = String(decoding: name.utf8.prefix(15), as: UTF8.self)
        let thread = Thread { [self] in
            raaf_redis_name_thread(shortName)
            self.runLoop()
        }
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        state.withLock { $0.jobs.append(unowned) }
        wakeUp.signal()
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Lets the thread end once every job enqueued has run. Called when the owner is
    /// released, so no job can come after it (a job keeps its actor alive).
    func stop() {
        state.withLock { $0.stopping = true }
        wakeUp.signal()
    }

    private func runLoop() {
        while true {
            wakeUp.wait()
            // One signal per job and one for `stop`, so a wake-up finds a job or the stop.
            let (job, stopping) = state.withLock { state in (state.jobs.isEmpty ? nil : state.jobs.removeFirst(), state.stopping) }
            if let job {
                job.runSynchronously(on: asUnownedSerialExecutor())
            } else if stopping {
                return
            }
        }
    }
}
