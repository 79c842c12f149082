// The WebSocket server under load, on loopback, against Python's websockets in the same run:
// server CPU per delivered frame on fan-out, publish-to-receive latency at a steady rate,
// and memory per idle connection. Run with `make bench`; figures go to docs/PERFORMANCE.md.
import Benchmark
import Foundation
import NIOCore
import NIOPosix

/// The load clients' event loop: one thread, named NIO-ELT-*, apart from the server's.
private let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)

private let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

/// Python's websockets server, started for one measurement; `nil` when Python or websockets is missing.
private func withReferenceServer<Result>(_ body: (_ port: Int, _ pid: Int32) async throws -> Result) async throws -> Result? {
    guard let server = try? Child(["python3", here.appendingPathComponent("reference_server.py").path]),
        let line = await server.line(startingWith: "listening"),
        let port = Int(line.split(separator: " ")[1])
    else { return nil }
    defer { server.stop() }
    return try await body(port, server.pid)
}

private func report(_ benchmark: Benchmark, _ name: String, _ result: FanOutResult) {
    print(
        "\(name): \(result.deliveries) deliveries in \(String(format: "%.2f", result.seconds)) s "
            + "(\(Int(result.deliveriesPerSecond)) /s); server CPU per delivery: user "
            + "\(String(format: "%.0f", result.userNanosecondsPerDelivery)) ns, total "
            + "\(String(format: "%.0f", result.totalNanosecondsPerDelivery)) ns"
    )
}

private func fanOutBenchmark(subscribers: Int, publishes: Int) {
    Benchmark(
        "fan-out to \(subscribers): server CPU per delivery (ns), ours vs websockets",
        configuration: .init(
            metrics: [
                .custom("ours user ns/delivery"), .custom("ours total ns/delivery"),
                .custom("websockets total ns/delivery"), .custom("ours/websockets total x100"),
                .custom("ours deliveries/s", polarity: .prefersLarger),
            ],
            scalingFactor: .one,
            maxDuration: .seconds(120),
            maxIterations: 3
        )
    ) { benchmark in
        let group = clientGroup
        let ours = try await BenchServer.run { server in
            try await FanOut.run(
                port: server.port, subscribers: subscribers, publishes: publishes, setupFramesPerClient: 2,
                group: group, serverCPU: { ProcFS.threadsCPU(prefix: BenchServer.threadPrefix) }
            )
        }
        report(benchmark, "ours, fan-out \(subscribers)", ours)
        benchmark.measurement(.custom("ours user ns/delivery"), Int(ours.userNanosecondsPerDelivery))
        benchmark.measurement(.custom("ours total ns/delivery"), Int(ours.totalNanosecondsPerDelivery))
        benchmark.measurement(.custom("ours deliveries/s", polarity: .prefersLarger), Int(ours.deliveriesPerSecond))
        let reference = try await withReferenceServer { port, pid in
            try await FanOut.run(
                port: port, subscribers: subscribers, publishes: publishes, setupFramesPerClient: 1,
                group: group, serverCPU: { ProcFS.cpu(statPath: "/proc/\(pid)/stat") ?? CPUTime(user: 0, system: 0) }
            )
        }
        if let reference {
            report(benchmark, "websockets, fan-out \(subscribers)", reference)
            benchmark.measurement(.custom("websockets total ns/delivery"), Int(reference.totalNanosecondsPerDelivery))
            benchmark.measurement(
                .custom("ours/websockets total x100"),
                Int(100 * ours.totalNanosecondsPerDelivery / reference.totalNanosecondsPerDelivery)
            )
        } else {
            print("websockets reference skipped: needs python3 with websockets")
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    fanOutBenchmark(subscribers: 100, publishes: 10_000)
    fanOutBenchmark(subscribers: 1_000, publishes: 1_000)

    Benchmark(
        "latency: 100 subscribers, 400 publishes/s (40,000 deliveries/s), publish to receive (us)",
        configuration: .init(
            metrics: [.custom("p50 us"), .custom("p99 us"), .custom("p99.9 us"), .custom("max us")],
            scalingFactor: .one,
            maxDuration: .seconds(60),
            maxIterations: 1
        )
    ) { benchmark in
        let group = clientGroup
        let samples = try await BenchServer.run { server in
            try await Latency.run(port: server.port, subscribers: 100, rate: 400, seconds: 5, group: group)
        }
        let sorted = samples.sorted()
        func percentile(_ p: Double) -> Int { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] / 1000 }
        print("latency over \(sorted.count) deliveries: p50 \(percentile(0.5)) us, p99 \(percentile(0.99)) us, "
            + "p99.9 \(percentile(0.999)) us, max \(sorted.last! / 1000) us")
        benchmark.measurement(.custom("p50 us"), percentile(0.5))
        benchmark.measurement(.custom("p99 us"), percentile(0.99))
        benchmark.measurement(.custom("p99.9 us"), percentile(0.999))
        benchmark.measurement(.custom("max us"), sorted.last! / 1000)
    }

    // Agent streams through the production server (issue 12): 100 streams at once, each a
    // model yielding 40 tokens a second for 5 s; the latency from the model's yield of a token
    // to its arrival at the client, on WebSocket and on SSE. Goal: p99 at most 2 ms.
    Benchmark(
        "agent streams: 100 streams x 40 tokens/s, model yield to client receive (us), WebSocket and SSE",
        configuration: .init(
            metrics: [
                .custom("ws p50 us"), .custom("ws p99 us"), .custom("ws max us"),
                .custom("sse p50 us"), .custom("sse p99 us"), .custom("sse max us"),
                .custom("ws frames"), .custom("ws server ns/token"),
                .custom("coalesced 50 ms: ws frames"), .custom("coalesced 50 ms: ws server ns/token"),
                .custom("coalesced 50 ms: ws p50 us"), .custom("coalesced 50 ms: ws p99 us"),
            ],
            scalingFactor: .one,
            maxDuration: .seconds(120),
            maxIterations: 1
        )
    ) { benchmark in
        let group = clientGroup
        let (streams, tokens, rate) = (100, 200, 40)
        func percentile(_ sorted: [Int], _ p: Double) -> Int { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] / 1000 }
        let ws = try await AgentStreamLatency.withServer(tokens: tokens, rate: rate) { port in
            try await AgentStreamLatency.webSocket(port: port, streams: streams, tokens: tokens, group: group)
        }
        let sse = try await AgentStreamLatency.withServer(tokens: tokens, rate: rate) { port in
            try await AgentStreamLatency.serverSentEvents(port: port, streams: streams, tokens: tokens, group: group)
        }
        for (transport, samples) in [("ws", ws.latencies), ("sse", sse)] {
            let sorted = samples.sorted()
            print("agent streams over \(transport): \(sorted.count) tokens, p50 \(percentile(sorted, 0.5)) us, "
                + "p99 \(percentile(sorted, 0.99)) us, max \(sorted.last! / 1000) us")
            benchmark.measurement(.custom("\(transport) p50 us"), percentile(sorted, 0.5))
            benchmark.measurement(.custom("\(transport) p99 us"), percentile(sorted, 0.99))
            benchmark.measurement(.custom("\(transport) max us"), sorted.last! / 1000)
        }
        // The trade-off of coalescing (STREAMING_COALESCE_MS): frames and server CPU against latency.
        let coalesced = try await AgentStreamLatency.withServer(tokens: tokens, rate: rate, coalesce: .milliseconds(50)) { port in
            try await AgentStreamLatency.webSocket(port: port, streams: streams, tokens: tokens, group: group)
        }
        benchmark.measurement(.custom("ws frames"), ws.frames)
        benchmark.measurement(.custom("ws server ns/token"), ws.serverCPU.total / (streams * tokens))
        // With coalescing a frame's latency is its oldest token's.
        let sorted = coalesced.latencies.sorted()
        benchmark.measurement(.custom("coalesced 50 ms: ws frames"), coalesced.frames)
        benchmark.measurement(.custom("coalesced 50 ms: ws server ns/token"), coalesced.serverCPU.total / (streams * tokens))
        benchmark.measurement(.custom("coalesced 50 ms: ws p50 us"), percentile(sorted, 0.5))
        benchmark.measurement(.custom("coalesced 50 ms: ws p99 us"), percentile(sorted, 0.99))
    }

    // 100 chunks/s is a fast model's token rate; at 500 members it is 50,000 frames/s, about
    // 0.9 of this machine's 2 cores with the load clients' share. At 200/s server and clients
    // take 1.7 cores and the latency measures the queue (docs/PERFORMANCE.md, "Chat room").
    let members = 500
    let chunks = 1_000
    // RAAF_CHAT_RATE overrides the rate (chunks a second).
    let chunkRate = ProcessInfo.processInfo.environment["RAAF_CHAT_RATE"].flatMap { Int($0) } ?? 100
    Benchmark(
        "chat room: 500 members, 1,000 chunks, model to member latency (us) and server CPU per frame",
        configuration: .init(
            metrics: [
                .custom("p50 us"), .custom("p99 us"), .custom("p99.9 us"), .custom("max us"),
                .custom("server user ns/frame"), .custom("server total ns/frame"),
                .custom("event loops total ns/frame"), .custom("load clients total ns/frame"),
                .custom("deliveries/s", polarity: .prefersLarger), .custom("latency samples", polarity: .prefersLarger),
            ],
            scalingFactor: .one,
            maxDuration: .seconds(300),
            maxIterations: 1
        )
    ) { benchmark in
        let group = clientGroup
        let result = try await BenchServer.run(
            chat: { hub in try ChatRoomBench.service(on: hub, members: members, chunks: chunks, rate: chunkRate) }
        ) { server in
            try await ChatRoomBench.run(port: server.port, members: members, chunks: chunks, group: group)
        }
        let sorted = result.latencies.sorted()
        func percentile(_ p: Double) -> Int { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] / 1000 }
        let perFrame = { (nanoseconds: Int) in nanoseconds / max(1, result.deliveries) }
        print("chat room: \(sorted.count) chunk deliveries, p50 \(percentile(0.5)) us, p99 \(percentile(0.99)) us, "
            + "p99.9 \(percentile(0.999)) us, max \(sorted.last! / 1000) us; \(result.deliveries) frames in "
            + "\(String(format: "%.2f", result.seconds)) s; server CPU per frame: user \(perFrame(result.serverCPU.user)) ns, "
            + "total \(perFrame(result.serverCPU.total)) ns (event loops \(perFrame(result.eventLoopCPU.total)) ns)")
        benchmark.measurement(.custom("p50 us"), percentile(0.5))
        benchmark.measurement(.custom("p99 us"), percentile(0.99))
        benchmark.measurement(.custom("p99.9 us"), percentile(0.999))
        benchmark.measurement(.custom("max us"), sorted.last! / 1000)
        benchmark.measurement(.custom("server user ns/frame"), perFrame(result.serverCPU.user))
        benchmark.measurement(.custom("server total ns/frame"), perFrame(result.serverCPU.total))
        benchmark.measurement(.custom("event loops total ns/frame"), perFrame(result.eventLoopCPU.total))
        benchmark.measurement(.custom("load clients total ns/frame"), perFrame(result.clientCPU.total))
        benchmark.measurement(
            .custom("deliveries/s", polarity: .prefersLarger), Int(Double(result.deliveries) / result.seconds))
        benchmark.measurement(.custom("latency samples", polarity: .prefersLarger), sorted.count)
    }

    Benchmark(
        "memory per closed connection, 20,000 connect-subscribe-close cycles (bytes)",
        configuration: .init(
            metrics: [.custom("bytes per closed connection"), .custom("RSS growth KB")],
            scalingFactor: .one,
            maxDuration: .seconds(300),
            maxIterations: 1
        )
    ) { benchmark in
        let group = clientGroup
        let result = try await BenchServer.run { server in
            try await ConnectionChurn.measure(port: server.port, cycles: 20_000, group: group) {
                server.hub.stats.connections
            }
        }
        print("connection churn: RSS \(result.before / 1024) KB before, \(result.after / 1024) KB after "
            + "\(result.cycles) cycles: \(result.bytesPerCycle) bytes per closed connection")
        benchmark.measurement(.custom("bytes per closed connection"), result.bytesPerCycle)
        benchmark.measurement(.custom("RSS growth KB"), (result.after - result.before) / 1024)
    }

    Benchmark(
        "memory per idle connection, 5,000 connections (bytes)",
        configuration: .init(
            metrics: [.custom("bytes per idle connection")],
            // No warm-up run: its 5,000 connections, closed and freed since issue 12, would
            // leave free memory for the measured run's connections to reuse, and RSS would not
            // see them. (Before issue 12 they leaked, so the measured run's memory was new.)
            warmupIterations: 0,
            scalingFactor: .one,
            maxDuration: .seconds(120),
            maxIterations: 1
        )
    ) { benchmark in
        let perConnection = try await BenchServer.run { server in
            try await IdleMemory.measure(port: server.port, connections: 5_000) { server.hub.stats.connections }
        }
        print("memory per idle connection: \(perConnection) bytes")
        benchmark.measurement(.custom("bytes per idle connection"), perConnection)
    }
}
