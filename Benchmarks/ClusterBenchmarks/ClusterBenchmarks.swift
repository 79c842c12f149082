// The cluster layer (issue 13), measured against one node in the same run: hubs in this
// process, each with its own Redis connections, on the redis-server of REDIS_URL (`make
// bench-cluster` starts one). Figures go to docs/PERFORMANCE.md.
//
// - Channel hop: 100 subscribers split over 3 nodes, 1,000 publishes a second from node 1;
//   publish-to-receive latency on the publisher's node and on the others, and the same load
//   on one node without Redis (what `serve` does without REDIS_URL). CPU of this process per
//   delivered frame, 3 nodes against 1 (Redis's own CPU is not counted).
// - Stream log: 3 nodes each running 20 streams of 1,000 frames on an instant model; frames
//   logged a second, and frames per round trip (appends are batched).
// - Chat room (issue 14): 500 members over 3 nodes, an answer of 1,000 chunks at 100 a
//   second: model-to-member latency of every chunk, against the same room on one node.
// - Resume on another node: 200 finished streams of node 1 resumed on node 2; time from the
//   `resume` handed to the hub to its first replayed frame.
import Benchmark
import Foundation
import Glibc
import Logging
import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingRedis
import Synchronization

private let url = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"
let redis: RedisConfiguration = {
    do { return try RedisConfiguration(url: url) } catch { fatalError("REDIS_URL: \(error)") }
}()
let logger = Logger(label: "cluster-bench")

private func reachable() -> Bool {
    var hints = addrinfo()
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var list: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(redis.host, String(redis.port), &hints, &list) == 0, let first = list else { return false }
    defer { freeaddrinfo(list) }
    let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0
}

func namespace() -> String { "bench-\(UUID().uuidString.prefix(8).lowercased())" }

func processCPU() -> Duration {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func duration(_ time: timeval) -> Duration { .seconds(time.tv_sec) + .microseconds(time.tv_usec) }
    return duration(usage.ru_utime) + duration(usage.ru_stime)
}

func waitFor(timeout: Duration = .seconds(60), _ condition: () async -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !(await condition()) {
        guard ContinuousClock.now < deadline else { throw CancellationError() }
        try await Task.sleep(for: .milliseconds(1))
    }
}

func percentile(_ sorted: [Int], _ p: Double) -> Int {
    sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

/// A transport that reads the send time stamped in each `message` frame (`"data":{"t":NS}`)
/// and records how long the frame took to get here.
final class LatencySink: ConnectionSink {
    let latencies = Mutex<[Int]>([])
    let firstFrameAt = Mutex<ContinuousClock.Instant?>(nil)

    func send(_ frame: OutboundFrame) -> Bool {
        let now = DispatchTime.now().uptimeNanoseconds
        let bytes = frame.bytes
        if let stamp = Self.stamp(in: bytes) {
            latencies.withLock { $0.append(Int(now) - stamp) }
        } else if bytes.count > 20, Self.contains(bytes, "\"seq\":") {
            firstFrameAt.withLock { $0 = $0 ?? .now }
        }
        return true
    }

    func close(code: CloseCode, reason: String) {}
    func ping() {}

    static let marker = Array(#""t":"#.utf8)

    static func stamp(in bytes: [UInt8]) -> Int? {
        guard let start = index(of: marker, in: bytes) else { return nil }
        var value = 0
        var index = start + marker.count
        while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
            value = value * 10 + Int(bytes[index] - 48)
            index += 1
        }
        return value
    }

    static func contains(_ bytes: [UInt8], _ text: String) -> Bool { index(of: Array(text.utf8), in: bytes) != nil }

    static func index(of needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        for start in 0...(bytes.count - needle.count) where bytes[start] == needle[0] {
            if bytes[start..<(start + needle.count)].elementsEqual(needle) { return start }
        }
        return nil
    }
}

/// An instant model: `count` one-word deltas.
private struct BurstModel: ModelProvider {
    let count: Int
    func stream(_ request: ModelRequest) async throws -> ModelResponseStream {
        ModelResponseStream(deltas: (0..<count).map { _ in .text("word ") } + [.finish(.stop)])
    }
}

private let agent = Agent(name: "assistant", instructions: "Be brief.")

/// Hubs as nodes of one cluster (or one hub without Redis), running while `body` runs.
private func withNodes<Result>(
    _ count: Int, clustered: Bool, model: any ModelProvider = BurstModel(count: 10),
    _ body: ([ConnectionHub]) async throws -> Result
) async throws -> Result {
    let space = namespace()
    var hubs: [ConnectionHub] = []
    var logs: [RedisStreamLog] = []
    for index in 0..<count {
        let nodeID = "bench-\(index + 1)"
        let log = clustered ? RedisStreamLog(configuration: redis, namespace: space, logger: logger) : nil
        if let log { logs.append(log) }
        hubs.append(ConnectionHub(
            options: ConnectionHubOptions(maxConnections: 100_000, messagesPerMinute: 100_000_000),
            streams: AgentStreamService(
                runner: AgentRunner(provider: model), agents: { $0 == agent.name ? agent : nil },
                options: AgentStreamOptions(maxActiveStreams: 100_000),
                cluster: log.map { StreamCluster(log: $0, nodeID: nodeID) }),
            broadcaster: clustered ? RedisBroadcaster(configuration: redis, nodeID: nodeID, namespace: space, logger: logger) : nil))
    }
    let result = try await withThrowingTaskGroup(of: Void.self) { group in
        for hub in hubs { group.addTask { await hub.run() } }
        defer { for hub in hubs { hub.shutdown() } }
        return try await body(hubs)
    }
    for log in logs { await log.close() }
    return result
}

/// 100 subscribers of one channel split over the nodes; node 1 publishes `rate` a second for
/// `seconds`. Returns the latencies (ns) on node 1 and on the others, and CPU per delivery.
private func channelHop(nodes: Int, clustered: Bool, rate: Int = 1_000, seconds: Int = 3) async throws
    -> (same: [Int], other: [Int], cpuPerDelivery: Duration)
{
    try await withNodes(nodes, clustered: clustered) { hubs in
        var sinks: [(node: Int, sink: LatencySink)] = []
        for index in 0..<100 {
            let node = index % hubs.count
            let sink = LatencySink()
            let connection = hubs[node].connect(sink)!
            hubs[node].receive(text: #"{"type":"subscribe","channel":"hop"}"#, from: connection)
            sinks.append((node, sink))
        }
        // `subscribed` arrives once every node's Redis subscription is confirmed.
        try await waitFor { hubs.allSatisfy { ($0.stats.cluster?.subscriptions ?? 2) >= 2 } }
        let publisher = hubs[0]
        let startCPU = processCPU()
        let interval = Duration.seconds(1) / rate
        let start = ContinuousClock.now
        for index in 0..<(rate * seconds) {
            try await Task.sleep(until: start + interval * index, clock: .continuous)
            let stamp = DispatchTime.now().uptimeNanoseconds
            publisher.broadcast(OutboundFrame(text: #"{"type":"message","channel":"hop","data":{"t":\#(stamp)}}"#), on: "hop")
        }
        let expected = rate * seconds
        try await waitFor { sinks.allSatisfy { $0.sink.latencies.withLock { $0.count } >= expected } }
        let cpu = processCPU() - startCPU
        let same = sinks.filter { $0.node == 0 }.flatMap { $0.sink.latencies.withLock { $0 } }.sorted()
        let other = sinks.filter { $0.node != 0 }.flatMap { $0.sink.latencies.withLock { $0 } }.sorted()
        return (same, other, cpu / (expected * 100))
    }
}

/// 20 streams of 1,000 frames on each of 3 nodes; frames logged a second and per round trip.
private func logThroughput(nodes: Int = 3, streams: Int = 20, frames: Int = 1_000) async throws -> (perSecond: Int, perRoundTrip: Double) {
    try await withNodes(nodes, clustered: true, model: BurstModel(count: frames)) { hubs in
        let start = ContinuousClock.now
        for (index, hub) in hubs.enumerated() {
            for stream in 0..<streams {
                _ = try hub.streams.start(id: "tp-\(index)-\(stream)-\(UUID().uuidString.prefix(6))", agent: agent.name, input: "go", owner: nil)
            }
        }
        let total = nodes * streams * (frames + 1)
        try await waitFor(timeout: .seconds(300)) {
            hubs.reduce(0) { $0 + ($1.streams.cluster?.counters.stats.frames ?? 0) } >= total
        }
        let elapsed = ContinuousClock.now - start
        let appends = hubs.reduce(0) { $0 + ($1.streams.cluster?.counters.stats.appends ?? 0) }
        return (Int(Double(total) / (elapsed / .seconds(1))), Double(total) / Double(max(1, appends)))
    }
}

/// Node 1 runs `count` streams to their end; each is then resumed on node 2.
private func resumeElsewhere(count: Int = 200) async throws -> [Int] {
    try await withNodes(2, clustered: true, model: BurstModel(count: 50)) { hubs in
        let ids = (0..<count).map { "resume-\($0)-\(UUID().uuidString.prefix(6))" }
        for id in ids { _ = try hubs[0].streams.start(id: id, agent: agent.name, input: "go", owner: nil) }
        try await waitFor { hubs[0].streams.stats.completed == count }
        try await waitFor { (hubs[0].streams.cluster?.counters.stats.frames ?? 0) >= count * 51 }
        var latencies: [Int] = []
        for id in ids {
            let sink = LatencySink()
            let connection = hubs[1].connect(sink)!
            let sent = ContinuousClock.now
            hubs[1].receive(text: #"{"type":"resume","id":"\#(id)","after_seq":0}"#, from: connection)
            try await waitFor { sink.firstFrameAt.withLock { $0 } != nil }
            latencies.append(Int((sink.firstFrameAt.withLock { $0 }! - sent) / .nanoseconds(1)))
            hubs[1].disconnect(connection)
        }
        return latencies.sorted()
    }
}

let benchmarks: @Sendable () -> Void = {
    guard reachable() else {
        print("ClusterBenchmarks: no Redis at \(url); skipped (make bench-cluster starts one)")
        return
    }
    Benchmark.defaultConfiguration = .init(warmupIterations: 0, maxDuration: .seconds(120), maxIterations: 1)
    let microseconds = ["p50 us", "p99 us"].map { BenchmarkMetric.custom($0) }

    Benchmark(
        "Channel hop: one node, no Redis (100 subscribers, 1,000 publishes/s)",
        configuration: .init(metrics: microseconds + [.custom("cpu ns/delivery")])
    ) { benchmark in
        let result = try await channelHop(nodes: 1, clustered: false)
        benchmark.measurement(.custom("p50 us"), percentile(result.same, 0.5) / 1000)
        benchmark.measurement(.custom("p99 us"), percentile(result.same, 0.99) / 1000)
        benchmark.measurement(.custom("cpu ns/delivery"), Int(result.cpuPerDelivery / .nanoseconds(1)))
    }
    Benchmark(
        "Channel hop: three nodes on Redis (100 subscribers, 1,000 publishes/s)",
        configuration: .init(metrics: [
            .custom("same-node p50 us"), .custom("same-node p99 us"), .custom("cross-node p50 us"),
            .custom("cross-node p99 us"), .custom("added p50 us"), .custom("added p99 us"), .custom("cpu ns/delivery"),
        ])
    ) { benchmark in
        let result = try await channelHop(nodes: 3, clustered: true)
        let (same50, same99) = (percentile(result.same, 0.5) / 1000, percentile(result.same, 0.99) / 1000)
        let (other50, other99) = (percentile(result.other, 0.5) / 1000, percentile(result.other, 0.99) / 1000)
        benchmark.measurement(.custom("same-node p50 us"), same50)
        benchmark.measurement(.custom("same-node p99 us"), same99)
        benchmark.measurement(.custom("cross-node p50 us"), other50)
        benchmark.measurement(.custom("cross-node p99 us"), other99)
        benchmark.measurement(.custom("added p50 us"), other50 - same50)
        benchmark.measurement(.custom("added p99 us"), other99 - same99)
        benchmark.measurement(.custom("cpu ns/delivery"), Int(result.cpuPerDelivery / .nanoseconds(1)))
    }
    Benchmark(
        "Stream log: 3 nodes x 20 streams x 1,000 frames",
        configuration: .init(metrics: [.custom("frames/s", polarity: .prefersLarger), .custom("frames per round trip x10")])
    ) { benchmark in
        let result = try await logThroughput()
        benchmark.measurement(.custom("frames/s", polarity: .prefersLarger), result.perSecond)
        benchmark.measurement(.custom("frames per round trip x10"), Int(result.perRoundTrip * 10))
    }
    Benchmark(
        "Stream log: 1 node x 1 stream x 20,000 frames (a burst)",
        configuration: .init(metrics: [.custom("frames/s", polarity: .prefersLarger), .custom("frames per round trip x10")])
    ) { benchmark in
        let result = try await logThroughput(nodes: 1, streams: 1, frames: 20_000)
        benchmark.measurement(.custom("frames/s", polarity: .prefersLarger), result.perSecond)
        benchmark.measurement(.custom("frames per round trip x10"), Int(result.perRoundTrip * 10))
    }
    for (nodes, clustered) in [(1, false), (3, true)] {
        Benchmark(
            "Chat room: 500 members on \(nodes) node\(nodes == 1 ? ", no Redis" : "s on Redis"), an answer of 1,000 chunks at 100/s",
            configuration: .init(metrics: [.custom("p50 us"), .custom("p99 us"), .custom("max us")])
        ) { benchmark in
            let latencies = try await chatAnswerLatency(nodes: nodes, clustered: clustered)
            benchmark.measurement(.custom("p50 us"), percentile(latencies, 0.5) / 1000)
            benchmark.measurement(.custom("p99 us"), percentile(latencies, 0.99) / 1000)
            benchmark.measurement(.custom("max us"), (latencies.last ?? 0) / 1000)
        }
    }
    Benchmark(
        "Resume on another node: resume to first replayed frame (200 streams of 51 frames)",
        configuration: .init(metrics: microseconds)
    ) { benchmark in
        let latencies = try await resumeElsewhere()
        benchmark.measurement(.custom("p50 us"), percentile(latencies, 0.5) / 1000)
        benchmark.measurement(.custom("p99 us"), percentile(latencies, 0.99) / 1000)
    }
}
