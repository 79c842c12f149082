import Foundation
import RAAFStreaming
import StreamingTestSupport
import StreamingWebSocket
import Testing

extension InteropTests {
    /// Clients slower than the server: memory stays bounded, drops are counted and reported.
    @Suite("Backpressure against Python clients")
    struct Backpressure {
        static let frameSize = 10_000

        static func frame(_ n: Int) -> JSONValue {
            ["n": .int(n), "pad": .string(String(repeating: "x", count: frameSize))]
        }

        /// A raw client subscribes and stops reading while the server publishes 10,000 frames of
        /// 10 KB (100 MB). The server keeps at most its buffer plus what the kernel holds, drops
        /// the rest, and tells the client how many it missed once it reads again.
        @Test func readerThatStopsReadingCostsBoundedMemory() async throws {
            let total = 10_000
            let bufferSize = 64 * 1024
            let receiveBuffer = 64 * 1024
            let options = WebSocketServerOptions(bufferSize: bufferSize, enableCompression: false)
            try await TestServer.run(options: options) { server in
                try await BackgroundScenario.run(
                    "slow_reader", url: server.url, ["\(total)", "\(receiveBuffer)"]
                ) { scenario in
                    try await scenario.waitFor("subscribed")
                    let residentBefore = try Self.residentBytes()
                    let delivered = await Self.publish(total, on: server.hub)
                    let residentGrowth = try Self.residentBytes() - residentBefore
                    let dropped = server.hub.stats.dropped
                    #expect(dropped > 0)
                    #expect(dropped == total - delivered)

                    // What was not dropped sits in the server's buffers (the outbox and the channel,
                    // each up to bufferSize), in the kernel's (the server's send buffer, at most
                    // tcp_wmem's maximum, and the client's receive buffer, which Linux doubles) or
                    // in the client's (asyncio reads up to 256 KiB at once, and pauses past 32 KiB).
                    let kernel = try Self.kernelSendBufferMaximum() + 2 * receiveBuffer
                    let heldBytes = delivered * Self.frameSize
                    let bound = 2 * bufferSize + kernel + (256 + 32) * 1024 + Self.frameSize * 16
                    #expect(heldBytes <= bound, "\(delivered) frames (\(heldBytes) bytes) delivered to a client that reads nothing")
                    // 100 MB went through; a server that buffered it would grow by about as much.
                    #expect(residentGrowth < 40 << 20, "resident memory grew by \(residentGrowth >> 20) MB")
                    print("slow reader: \(delivered) of \(total) frames held (\(heldBytes >> 10) KiB, bound \(bound >> 10) KiB), resident memory +\(residentGrowth >> 20) MB")

                    try scenario.signal("published")
                    let output = try await scenario.finish()
                    #expect(output.status == 0, "\(output.transcript)")
                    let result = try #require(output.result, "\(output.transcript)")
                    #expect(result["received"]?.intValue == delivered)
                    #expect(result["missed"]?.intValue == total - delivered)
                    #expect(server.hub.stats.dropped == total - delivered)
                }
            }
        }

        /// A client that reads all the time, sent a burst faster than the socket takes it: every
        /// frame is either received or reported in a `missed` notice, none silently lost.
        @Test func burstToAReaderThatKeepsReadingIsAccountedFor() async throws {
            let total = 2_000
            let options = WebSocketServerOptions(bufferSize: 16 * 1024, enableCompression: false)
            try await TestServer.run(options: options) { server in
                try await BackgroundScenario.run("fast_reader", url: server.url, ["\(total)"]) { scenario in
                    try await scenario.waitFor("subscribed")
                    let delivered = await Self.publish(total, on: server.hub)
                    let output = try await scenario.finish()
                    #expect(output.status == 0, "\(output.transcript)")
                    let result = try #require(output.result, "\(output.transcript)")
                    #expect(result["received"]?.intValue == delivered)
                    #expect(result["missed"]?.intValue == total - delivered)
                    print("fast reader: \(delivered) of \(total) frames delivered, \(result["notices"]?.intValue ?? 0) missed notices")
                }
            }
        }

        /// Publishes frames 0..<total on "firehose" as fast as the hub takes them; returns how
        /// many were handed to the subscriber (not dropped). It yields now and then, so the
        /// suites running beside it keep a thread of the cooperative pool.
        static func publish(_ total: Int, on hub: ConnectionHub) async -> Int {
            var delivered = 0
            for n in 0..<total {
                delivered += hub.publish(frame(n), on: "firehose")
                if n % 64 == 63 { await Task.yield() }
            }
            return delivered
        }

        /// This process's resident memory (VmRSS), in bytes.
        static func residentBytes() throws -> Int {
            let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
            let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
            let kilobytes = try #require(Int(line.split(whereSeparator: \.isWhitespace)[1]))
            return kilobytes * 1024
        }

        /// The most a TCP send buffer may grow to (the last figure of tcp_wmem).
        static func kernelSendBufferMaximum() throws -> Int {
            let text = try String(contentsOfFile: "/proc/sys/net/ipv4/tcp_wmem", encoding: .utf8)
            return try #require(text.split(whereSeparator: \.isWhitespace).last.flatMap { Int($0) })
        }
    }
}
