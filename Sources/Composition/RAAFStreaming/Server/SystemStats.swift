import Foundation
import StreamingApplication
import StreamingDomain
import Synchronization

/// The parts of a ``StreamingSystem`` whose figures ``StreamingSystem/stats()`` reports: the
/// server made from it (its hub, streams, chat, model, jobs) and the async runner made from
/// it. The latest of each is kept.
final class SystemParts: Sendable {
    private struct State {
        var server: ServerFigures?
        var runner: AsyncRunner?
    }

    private let state = Mutex(State())

    func register(server: ServerFigures) { state.withLock { $0.server = server } }
    func register(runner: AsyncRunner) { state.withLock { $0.runner = runner } }
    var server: ServerFigures? { state.withLock { $0.server } }
    var runner: AsyncRunner? { state.withLock { $0.runner } }
}

extension StreamingSystem {
    /// Every component's figures, as `GET /stats` of the server made from this system
    /// answers them: the hub's (`connections`, `channels`, `frames_in`, …), `streams`, `chat`,
    /// `model`, `jobs` and `background` once a ``RealtimeServer`` was made from this system,
    /// `async_runner` once ``asyncRunner(clock:)`` was called, and `event_bus` always.
    ///
    /// ```swift
    /// let figures = await system.stats()
    /// print(figures["event_bus"]?["emitted"] ?? .null)
    /// ```
    public func stats() async -> JSONValue {
        var fields: [String: JSONValue] = [:]
        if let server = parts.server {
            for (name, value) in server.hub.stats.jsonFields { fields[name] = value }
            fields.merge(await server.statsSections()) { _, new in new }
        } else {
            fields.merge(systemSections()) { _, new in new }
        }
        return .object(fields)
    }

    /// The sections of this system itself: `event_bus`, and `async_runner` when there is one.
    func systemSections() -> [String: JSONValue] {
        let bus = eventBus.stats
        var sections: [String: JSONValue] = [
            "event_bus": [
                "listeners": .int(bus.listeners),
                "topics": .int(bus.topics),
                "emitted": .int(Int(bus.emitted)),
                "delivered": .int(Int(bus.delivered)),
                "listener_errors": .int(Int(bus.listenerErrors)),
                "history": .int(bus.historyCount),
            ]
        ]
        if let runner = parts.runner {
            let stats = runner.stats
            var section: [String: JSONValue] = [
                "pool_size": .int(stats.poolSize),
                "queue_size": .int(stats.queueSize),
                "active": .int(stats.active),
                "queued": .int(stats.queued),
                "submitted": .int(stats.submitted),
                "rejected": .int(stats.rejected),
                "completed": .int(stats.completed),
                "failed": .int(stats.failed),
                "cancelled": .int(stats.cancelled),
                "timed_out": .int(stats.timedOut),
            ]
            if let average = stats.averageDuration { section["average_seconds"] = .double(average.timeInterval) }
            if let p95 = stats.p95Duration { section["p95_seconds"] = .double(p95.timeInterval) }
            sections["async_runner"] = .object(section)
        }
        return sections
    }
}

/// The resident memory of this process, from `/proc/self/statm` (Linux); `nil` elsewhere.
enum ProcessMemory {
    static func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
