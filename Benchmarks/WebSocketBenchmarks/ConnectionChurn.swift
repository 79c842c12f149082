// Server memory per closed connection: resident memory of this process (the server) after a
// warm-up, then after `cycles` connect → subscribe → close cycles from the load clients, in
// batches. A server that keeps anything of a closed connection grows with the cycles.
import NIOCore

enum ConnectionChurn {
    struct Result {
        var before: Int
        var after: Int
        var cycles: Int
        var bytesPerCycle: Int { (after - before) / max(1, cycles) }
    }

    static func measure(
        port: Int, cycles: Int, batch: Int = 100, group: any EventLoopGroup, openConnections: @escaping () -> Int
    ) async throws -> Result {
        try await run(port: port, cycles: 2_000, batch: batch, group: group, openConnections: openConnections)
        let before = ProcFS.residentBytes()
        try await run(port: port, cycles: cycles, batch: batch, group: group, openConnections: openConnections)
        return Result(before: before, after: ProcFS.residentBytes(), cycles: cycles)
    }

    private static func run(
        port: Int, cycles: Int, batch: Int, group: any EventLoopGroup, openConnections: @escaping () -> Int
    ) async throws {
        for _ in 0..<(cycles / batch) {
            let counters = LoadCounters(recordsLatency: false)
            let clients = try await LoadClients.connect(count: batch, port: port, group: group, counters: counters)
            clients.sendToAll(#"{"type":"subscribe","channel":"churn"}"#)
            // `connected`, then `subscribed`.
            try await FanOut.waitFor { counters.frames.load(ordering: .relaxed) >= 2 * batch }
            await clients.close()
            try await FanOut.waitFor { openConnections() == 0 }
        }
    }
}
