// Publish-to-receive latency at a steady rate: the publisher stamps each publish with the
// monotonic clock; each subscriber reads the stamp back when the frame arrives.
import NIOCore
import NIOPosix

enum Latency {
    static func run(port: Int, subscribers: Int, rate: Int, seconds: Int, group: any EventLoopGroup) async throws -> [Int] {
        let counters = LoadCounters(recordsLatency: true)
        let clients = try await LoadClients.connect(count: subscribers, port: port, group: group, counters: counters)
        let publisher = try await LoadClients.connect(count: 1, port: port, group: group, counters: LoadCounters(recordsLatency: false))
        clients.sendToAll(#"{"type":"subscribe","channel":"bench"}"#)
        try await FanOut.waitFor { counters.frames.load(ordering: .relaxed) >= subscribers * 2 }
        _ = counters.takeLatencies()
        counters.frames.store(0, ordering: .relaxed)

        let channel = publisher.channels[0]
        let interval = Duration.nanoseconds(1_000_000_000 / rate)
        var next = ContinuousClock.now
        let total = rate * seconds
        for _ in 0..<total {
            next += interval
            try await Task.sleep(until: next, clock: .continuous)
            var buffer = channel.allocator.buffer(capacity: 128)
            clientTextFrame(#"{"type":"publish","channel":"bench","data":{"t":\#(monotonicNanoseconds())}}"#, into: &buffer)
            channel.writeAndFlush(buffer, promise: nil)
        }
        try await FanOut.waitFor { counters.frames.load(ordering: .relaxed) >= total * subscribers }
        // Each handler keeps up to 255 samples before handing them over: collect the rest.
        for channel in clients.channels {
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.handler(type: LoadConnectionHandler.self).flushSamples()
            }.get()
        }
        await clients.close()
        await publisher.close()
        return counters.takeLatencies()
    }
}
