// Fan-out: N subscribers on one channel, one publisher sending publishes in bursts, and the
// server's CPU per delivered frame read before and after.
import Foundation
import NIOCore
import NIOPosix

struct FanOutResult {
    var deliveries: Int
    var seconds: Double
    var serverCPU: CPUTime

    var userNanosecondsPerDelivery: Double { Double(serverCPU.user) / Double(deliveries) }
    var totalNanosecondsPerDelivery: Double { Double(serverCPU.total) / Double(deliveries) }
    var deliveriesPerSecond: Double { Double(deliveries) / seconds }
}

enum FanOut {
    /// Connects `subscribers` clients to `port`, then publishes `publishes` messages of
    /// about 100 bytes, keeping at most `window` deliveries outstanding.
    static func run(
        port: Int,
        subscribers: Int,
        publishes: Int,
        setupFramesPerClient: Int,
        group: any EventLoopGroup,
        serverCPU: () -> CPUTime
    ) async throws -> FanOutResult {
        let counters = LoadCounters(recordsLatency: false)
        let clients = try await LoadClients.connect(count: subscribers, port: port, group: group, counters: counters)
        let publisher = try await LoadClients.connect(count: 1, port: port, group: group, counters: LoadCounters(recordsLatency: false))
        defer { Task { await clients.close(); await publisher.close() } }
        clients.sendToAll(#"{"type":"subscribe","channel":"bench"}"#)
        try await waitFor { counters.frames.load(ordering: .relaxed) >= subscribers * setupFramesPerClient }
        counters.frames.store(0, ordering: .relaxed)

        let payload = #"{"type":"publish","channel":"bench","data":{"text":"a chunk of an answer, about as long as a token or two"}}"#
        let window = max(4, 4_000 / subscribers)
        let channel = publisher.channels[0]
        let start = serverCPU()
        let began = ContinuousClock.now
        var sent = 0
        while sent < publishes {
            let delivered = counters.frames.load(ordering: .relaxed) / subscribers
            let room = min(window - (sent - delivered), publishes - sent, 8)
            if room <= 0 {
                try await Task.sleep(for: .microseconds(50))
                continue
            }
            var buffer = channel.allocator.buffer(capacity: room * (payload.utf8.count + 8))
            for _ in 0..<room { clientTextFrame(payload, into: &buffer) }
            channel.writeAndFlush(buffer, promise: nil)
            sent += room
        }
        let total = publishes * subscribers
        try await waitFor { counters.frames.load(ordering: .relaxed) >= total }
        let elapsed = ContinuousClock.now - began
        let cpu = serverCPU() - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return FanOutResult(deliveries: total, seconds: seconds, serverCPU: cpu)
    }

    static func waitFor(timeout: Duration = .seconds(60), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { throw LoadError.closed }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
