import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Calls `handler` each time one of the signals arrives, instead of letting it end the process.
///
/// Used by `worker` (a signal starts its drain) and by ``RealtimeServer`` (a second signal
/// during a drain stops at once). Other watchers of the same signal (swift-service-lifecycle's)
/// still receive it: each dispatch source is told.
public final class SignalWatcher: Sendable {
    // `DispatchSourceSignal` is not `Sendable`; the sources are only set in `init` and then
    // cancelled, and cancelling a dispatch source is thread-safe.
    private nonisolated(unsafe) let sources: [any DispatchSourceSignal]

    /// Starts watching `signals` (such as `SIGTERM`, `SIGINT`); the handler runs on a global queue.
    public init(_ signals: [Int32], handler: @escaping @Sendable () -> Void) {
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }

    /// Stops watching; the signals stay ignored.
    public func cancel() {
        for source in sources { source.cancel() }
    }
}
