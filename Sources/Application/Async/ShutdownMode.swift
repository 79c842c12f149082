/// How ``AsyncRunner/shutdown(mode:)`` treats the work it has.
public enum ShutdownMode: Sendable, Hashable {
    /// Refuse new tasks, run every queued and running one to its end.
    case drain
    /// Refuse new tasks, cancel the queued ones and stop the running ones.
    case cancel
}
