import StreamingDomain

/// One part a server depends on, and how to check that it works right now.
///
/// ```swift
/// HealthComponent("job_queue") { try await queue.healthCheck(now: .now) }
/// HealthComponent("model_provider", required: false) { "offline scripted model" }
/// ```
public struct HealthComponent: Sendable {
    /// The component's name in the report (`job_queue`, `chat_store`, `model_provider`).
    public var name: String
    /// Whether the server can serve without it: a required component that fails makes the
    /// report (and readiness) fail.
    public var required: Bool
    /// Works or throws; returns an optional detail (a backend's name, a URL without secrets).
    public var check: @Sendable () async throws -> String?

    public init(_ name: String, required: Bool = true, check: @escaping @Sendable () async throws -> String?) {
        self.name = name
        self.required = required
        self.check = check
    }
}

/// The state of every component, as `/health` reports it.
public struct HealthReport: Sendable, Hashable {
    public struct Component: Sendable, Hashable {
        public var name: String
        public var required: Bool
        /// Whether the check succeeded within the timeout.
        public var ok: Bool
        /// How long the check took.
        public var latency: Duration
        /// What the check returned, or why it failed.
        public var detail: String?
    }

    public var components: [Component]
    /// How long the process has served.
    public var uptime: Duration
    /// The resident memory of the process in bytes, when the platform tells.
    public var memoryBytes: Int?

    /// Whether every required component works.
    public var isHealthy: Bool { components.allSatisfy { $0.ok || !$0.required } }

    /// The required components that do not work.
    public var failing: [String] { components.filter { $0.required && !$0.ok }.map(\.name) }

    /// The report as JSON:
    /// `{"status":"ok"|"failing","failing":[...],"uptime_seconds":…,"memory_bytes":…,
    ///   "components":{"job_queue":{"status":"ok","required":true,"latency_ms":0.4,"detail":"…"},…}}`.
    public var json: JSONValue {
        var componentObjects: [String: JSONValue] = [:]
        for component in components {
            var object: [String: JSONValue] = [
                "status": .string(component.ok ? "ok" : "failing"),
                "required": .bool(component.required),
                "latency_ms": .double(component.latency.timeInterval * 1000),
            ]
            if let detail = component.detail { object["detail"] = .string(detail) }
            componentObjects[component.name] = .object(object)
        }
        var report: [String: JSONValue] = [
            "status": .string(isHealthy ? "ok" : "failing"),
            "uptime_seconds": .double(uptime.timeInterval),
            "components": .object(componentObjects),
        ]
        if !isHealthy { report["failing"] = .array(failing.map { .string($0) }) }
        if let memoryBytes { report["memory_bytes"] = .int(memoryBytes) }
        return .object(report)
    }
}

/// Runs the checks of a server's components, all at once, each bounded by a timeout.
public struct HealthChecker: Sendable {
    public var components: [HealthComponent]
    /// How long one check may take before it counts as failed.
    public var timeout: Duration
    private let clock: any Clock<Duration>
    private let started: ContinuousClock.Instant
    private let memory: @Sendable () -> Int?

    /// - Parameter memory: The resident memory of the process, when the platform tells.
    public init(
        components: [HealthComponent],
        timeout: Duration = .seconds(2),
        clock: any Clock<Duration> = ContinuousClock(),
        memory: @escaping @Sendable () -> Int? = { nil }
    ) {
        self.components = components
        self.timeout = timeout
        self.clock = clock
        self.started = .now
        self.memory = memory
    }

    /// Checks every component now.
    public func report() async -> HealthReport {
        let results = await withTaskGroup(of: (Int, HealthReport.Component).self) { group in
            for (index, component) in components.enumerated() {
                group.addTask { (index, await check(component)) }
            }
            var results: [(Int, HealthReport.Component)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
        return HealthReport(components: results, uptime: ContinuousClock.now - started, memoryBytes: memory())
    }

    private func check(_ component: HealthComponent) async -> HealthReport.Component {
        let start = ContinuousClock.now
        let outcome: Result<String?, any Error> = await withTaskGroup(of: Result<String?, any Error>?.self) { group in
            group.addTask {
                do { return .success(try await component.check()) } catch { return .failure(error) }
            }
            group.addTask { [timeout, clock] in
                try? await clock.sleep(for: timeout)
                return Task.isCancelled ? nil : .failure(HealthCheckTimeout(timeout: timeout))
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(HealthCheckTimeout(timeout: timeout))
        }
        let latency = ContinuousClock.now - start
        switch outcome {
        case .success(let detail):
            return .init(name: component.name, required: component.required, ok: true, latency: latency, detail: detail)
        case .failure(let error):
            return .init(name: component.name, required: component.required, ok: false, latency: latency, detail: "\(error)")
        }
    }
}

/// A health check that did not answer in time.
struct HealthCheckTimeout: Error, CustomStringConvertible {
    var timeout: Duration
    var description: String { "no answer within \(timeout)" }
}
