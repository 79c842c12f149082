// End to end through the BackgroundProcessor in one process: enqueue 10,000 jobs in
// batches, then claim, run a no-op handler and acknowledge, until all are complete.
// SQLite with synchronous NORMAL and FULL; Redis when REDIS_URL names a server.
// Run with `make bench`; figures go to docs/PERFORMANCE.md.
import Benchmark
import Foundation
import RAAFStreaming

private let jobs = 10_000

/// Enqueues `jobs` no-op jobs and runs a processor until every one is complete.
private func roundTrip(_ queue: any JobQueue, workers: Int) async throws {
    let processor = BackgroundProcessor(
        queue: queue,
        options: .init(workers: workers, pollInterval: .milliseconds(1))
    )
    processor.register("noop") { _ in nil }
    let start = try await queue.stats(now: Date()).completed
    for batch in stride(from: 0, to: jobs, by: 1_000) {
        _ = try await queue.enqueue((batch..<(batch + 1_000)).map { _ in NewJob(name: "noop") }, now: Date())
    }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await processor.run() }
        while try await queue.stats(now: Date()).completed - start < jobs {
            try await Task.sleep(for: .milliseconds(1))
        }
        processor.shutdown()
        try await group.waitForAll()
    }
}

private func temporaryPath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("raaf-bench-\(UUID().uuidString).sqlite").path
}

private func remove(_ path: String) {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        maxDuration: .seconds(20),
        maxIterations: 10
    )

    Benchmark("memory: \(jobs) jobs end to end, 100 workers") { benchmark in
        for _ in benchmark.scaledIterations {
            try await roundTrip(InMemoryJobQueue(), workers: 100)
        }
    }

    for synchronous in [SQLiteJobQueue.Synchronous.normal, .full] {
        Benchmark("sqlite \(synchronous): \(jobs) jobs end to end, 100 workers") { benchmark in
            for _ in benchmark.scaledIterations {
                let path = temporaryPath()
                defer { remove(path) }
                let queue = try SQLiteJobQueue(path: path, synchronous: synchronous)
                benchmark.startMeasurement()
                try await roundTrip(queue, workers: 100)
                benchmark.stopMeasurement()
                try await queue.shutdown()
            }
        }
    }

    if let url = ProcessInfo.processInfo.environment["REDIS_URL"], !url.isEmpty {
        Benchmark("redis: \(jobs) jobs end to end, 100 workers") { benchmark in
            for _ in benchmark.scaledIterations {
                let namespace = "bench-\(UUID().uuidString.prefix(8))"
                let queue = try RedisJobQueue(url: url, namespace: namespace)
                benchmark.startMeasurement()
                try await roundTrip(queue, workers: 100)
                benchmark.stopMeasurement()
                try await queue.shutdown()
            }
        }
    }
}
