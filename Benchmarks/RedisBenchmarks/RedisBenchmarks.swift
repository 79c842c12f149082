// The Redis job queue against the raw limit of the same server, measured in the same run.
//
// Needs a Redis server at REDIS_URL (default redis://127.0.0.1:6379); start one first:
//   redis-server --port 6379 --save "" --appendonly no --daemonize yes
// then:
//   RAAF_BENCHMARKS=1 swift package --scratch-path .build-redis-bench benchmark --target RedisBenchmarks --no-progress
// and stop it after: redis-cli -p 6379 shutdown nosave
// Figures go to docs/PERFORMANCE.md. Each sample works in a namespace of its own.
import Benchmark
import Foundation
import Glibc
import StreamingApplication
import StreamingDomain
import StreamingRedis

private let url = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"
private let configuration: RedisConfiguration = {
    do { return try RedisConfiguration(url: url) } catch { fatalError("REDIS_URL: \(error)") }
}()
private let value = [UInt8](repeating: UInt8(ascii: "v"), count: 100)
private let payload = [UInt8](repeating: UInt8(ascii: "p"), count: 100)
private let lease = Duration.seconds(60)

/// Whether something accepts TCP connections at the configured host and port, so `make
/// bench` without a Redis server skips these benchmarks instead of failing.
private func reachable() -> Bool {
    var hints = addrinfo()
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var list: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(configuration.host, String(configuration.port), &hints, &list) == 0, let first = list else { return false }
    defer { freeaddrinfo(list) }
    let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0
}

private func namespace() -> String { "bench-\(UUID().uuidString.prefix(8).lowercased())" }

/// Records `count` units done in `elapsed` as a per-second rate.
private func record(_ benchmark: Benchmark, _ metric: BenchmarkMetric, count: Int, elapsed: Duration) {
    benchmark.measurement(metric, Int(Double(count) / elapsed.timeInterval))
}

/// Deletes every key of `namespace`, outside the measurement.
private func drop(_ namespace: String, on connection: RedisConnection) async throws {
    var cursor = "0"
    repeat {
        let reply = try await connection.send("SCAN", cursor, "MATCH", "{\(namespace)}:*", "COUNT", "5000")
        guard let parts = reply.array, parts.count == 2, let next = parts[0].string, let keys = parts[1].array else { return }
        cursor = next
        if !keys.isEmpty { _ = try await connection.send(RedisCommand(arguments: [Array("UNLINK".utf8)] + keys.compactMap(\.bytes))) }
    } while cursor != "0"
}

private let commandsPerSecond = BenchmarkMetric.custom("commands/s", polarity: .prefersLarger, useScalingFactor: false)
private let jobsPerSecond = BenchmarkMetric.custom("jobs/s", polarity: .prefersLarger, useScalingFactor: false)

/// Raw Redis through RedisConnection: `batches` pipelines of `size` LPUSH, then of `size` RPOP.
private func rawPipelines(size: Int, batches: Int, on connection: RedisConnection) async throws {
    let key = "\(namespace()):list"
    var push = RedisCommand("LPUSH", key)
    push.append(value)
    let pushes = Array(repeating: push, count: size)
    let pops = Array(repeating: RedisCommand("RPOP", key), count: size)
    for _ in 0..<batches {
        blackHole(try await connection.pipeline(pushes))
        let popped = try await connection.pipeline(pops)
        precondition(popped.allSatisfy { $0.bytes?.count == 100 })
    }
}

/// Enqueues `total` jobs in batches of 1,000, then `workers` tasks claim 100 at a time and
/// complete each batch, until the queue is empty.
private func roundTrip(total: Int, workers: Int, on queue: RedisJobQueue) async throws {
    let now = Date()
    for start in stride(from: 0, to: total, by: 1_000) {
        _ = try await queue.enqueue((start..<min(start + 1_000, total)).map { _ in NewJob(name: "bench", payload: payload) }, now: now)
    }
    try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<workers {
            group.addTask {
                var done = 0
                while true {
                    let claimed = try await queue.claim(limit: 100, lease: lease, now: now)
                    if claimed.isEmpty { return done }
                    done += try await queue.complete(claimed.map { JobCompletion(lease: $0.lease) }, now: now).count
                }
            }
        }
        var done = 0
        for try await count in group { done += count }
        precondition(done == total, "completed \(done) of \(total)")
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        scalingFactor: .one,
        maxDuration: .seconds(10),
        maxIterations: 30
    )
    guard reachable() else {
        print("RedisBenchmarks: no Redis server at \(configuration); start one (redis-server --port 6379 --save \"\" --appendonly no --daemonize yes) or set REDIS_URL. Skipped.")
        return
    }
    print("Redis at \(configuration)")

    for size in [16, 100] {
        let batches = 16_000 / size
        Benchmark(
            "raw LPUSH+RPOP, pipelines of \(size), \(batches * size * 2) commands",
            configuration: .init(metrics: [.wallClock, commandsPerSecond])
        ) { benchmark in
            let connection = RedisConnection(configuration: configuration)
            _ = try await connection.send("PING")
            let clock = ContinuousClock()
            benchmark.startMeasurement()
            let elapsed = try await clock.measure { try await rawPipelines(size: size, batches: batches, on: connection) }
            benchmark.stopMeasurement()
            record(benchmark, commandsPerSecond, count: batches * size * 2, elapsed: elapsed)
            await connection.close()
        }
    }

    for workers in [1, 4] {
        let total = 10_000
        Benchmark(
            "queue round trip: enqueue \(total) (batches of 1,000), claim 100 + complete, \(workers) worker(s)",
            configuration: .init(metrics: [.wallClock, jobsPerSecond])
        ) { benchmark in
            let space = namespace()
            let queue = try RedisJobQueue(configuration: configuration, namespace: space, completedRetention: .seconds(5))
            _ = try await queue.stats(now: Date())
            let clock = ContinuousClock()
            benchmark.startMeasurement()
            let elapsed = try await clock.measure { try await roundTrip(total: total, workers: workers, on: queue) }
            benchmark.stopMeasurement()
            record(benchmark, jobsPerSecond, count: total, elapsed: elapsed)
            try await queue.shutdown()
        }
    }

    Benchmark(
        "enqueue one batch of 10,000 jobs",
        configuration: .init(metrics: [.wallClock, jobsPerSecond])
    ) { benchmark in
        let space = namespace()
        let queue = try RedisJobQueue(configuration: configuration, namespace: space)
        let jobs = (0..<10_000).map { _ in NewJob(name: "bench", payload: payload) }
        _ = try await queue.stats(now: Date())
        let clock = ContinuousClock()
        benchmark.startMeasurement()
        let elapsed = try await clock.measure { blackHole(try await queue.enqueue(jobs, now: Date())) }
        benchmark.stopMeasurement()
        record(benchmark, jobsPerSecond, count: jobs.count, elapsed: elapsed)
        try await queue.shutdown()
        let cleaner = RedisConnection(configuration: configuration)
        try await drop(space, on: cleaner)
        await cleaner.close()
    }
}
