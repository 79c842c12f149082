import Foundation
import StreamingDomain
import StreamingRedis
import StreamingRedisTestSupport
import StreamingTestSupport
import Testing

@Suite("RedisConnection", .enabled(RedisTestSupport.requirement) { RedisTestSupport.isAvailable })
struct RedisConnectionTests {
    private func connection() async throws -> RedisConnection {
        RedisConnection(configuration: try RedisConfiguration(url: try await RedisTestSupport.sharedURL()))
    }

    @Test("bytes 0 to 255 go in and come back exactly, through send and a pipeline")
    func binarySafe() async throws {
        let redis = try await connection()
        let key = RedisTestSupport.freshNamespace("binary")
        let value = (0...255).map(UInt8.init) + Array("\r\n$-1\r\n".utf8)
        var set = RedisCommand("SET", key)
        set.append(value)
        #expect(try await redis.send(set) == .status("OK"))
        #expect(try await redis.send("GET", key) == .bulk(value))
        let replies = try await redis.pipeline([RedisCommand("GET", key), RedisCommand("DEL", key), RedisCommand("GET", key)])
        #expect(replies == [.bulk(value), .integer(1), .null])
        await redis.close()
    }

    @Test("a pipeline answers in order, and an error reply is a reply, not a thrown error")
    func pipelineOrderAndErrors() async throws {
        let redis = try await connection()
        let key = RedisTestSupport.freshNamespace("counter")
        let replies = try await redis.pipeline((0..<100).map { _ in RedisCommand("INCR", key) })
        #expect(replies == (1...100).map { RedisReply.integer(Int64($0)) })
        _ = try await redis.send("SET", key, "text")
        let wrong = try await redis.send("LPUSH", key, "x")
        guard case .error(let message) = wrong else {
            Issue.record("got \(wrong)")
            return
        }
        #expect(message.hasPrefix("WRONGTYPE"))
        #expect(throws: StreamingError.self) { try wrong.checked("LPUSH") }
        #expect(try await redis.send("PING") == .status("PONG"), "the connection is still usable")
        _ = try await redis.send("DEL", key)
        let nested = try await redis.send("EVAL", "return {1, 'two', {3}, false}", "0")
        #expect(nested == .array([.integer(1), .bulk(Array("two".utf8)), .array([.integer(3)]), .null]))
        await redis.close()
    }

    @Test("a script's SHA-1 is the one Redis computes, and EVAL loads a script the server lost")
    func scripts() async throws {
        #expect(RedisScript(name: "abc", source: "abc").sha1 == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(RedisScript(name: "empty", source: "").sha1 == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        let redis = try await connection()
        let sources = [
            "return 1",
            "return ARGV[1] .. ' — ünïcode'",
            String(repeating: "-- a comment that makes the script span many SHA-1 blocks\n", count: 40) + "return #ARGV",
        ]
        for source in sources {
            let loaded = try await redis.send("SCRIPT", "LOAD", source)
            #expect(loaded.string == RedisScript(name: "s", source: source).sha1)
        }
        let script = RedisScript(name: "echo", source: "return ARGV[1] .. ':' .. #ARGV .. ':' .. math.random(1)")
        _ = try await redis.send("SCRIPT", "FLUSH")
        #expect(try await redis.evaluate(script, script.command(arguments: ["a", "b"])).string == "a:2:1")
        _ = try await redis.send("SCRIPT", "FLUSH")
        let replies = try await redis.evaluate(script, pipelined: (0..<3).map { script.command(arguments: ["p\($0)"]) })
        #expect(replies.map(\.string) == ["p0:1:1", "p1:1:1", "p2:1:1"])
        await redis.close()
    }

    @Test("nobody listening is a connection error, and the same connection works once a server answers")
    func refusedThenReachable() async throws {
        let port = try Loopback.freePort()
        let redis = RedisConnection(configuration: RedisConfiguration(port: port, connectTimeout: .seconds(1)))
        do {
            _ = try await redis.send("PING")
            Issue.record("a command succeeded with nobody listening")
        } catch StreamingError.connection(let detail) {
            #expect(detail.contains("\(port)"))
            #expect(StreamingError.connection(detail).isRetryable)
        }
        guard RedisTestSupport.canStartServers else { return }
        let server = try await RedisTestServer.start(port: port)
        #expect(try await redis.send("PING") == .status("PONG"))
        await redis.close()
        await server.stop()
    }

    @Test("a closed connection refuses commands")
    func closed() async throws {
        let redis = try await connection()
        #expect(try await redis.send("PING") == .status("PONG"))
        await redis.close()
        await #expect(throws: StreamingError.self) { try await redis.send("PING") }
    }

    @Test("a pool spreads concurrent callers over its connections")
    func pool() async throws {
        let pool = RedisConnectionPool(configuration: try RedisConfiguration(url: try await RedisTestSupport.sharedURL()), size: 3)
        let key = RedisTestSupport.freshNamespace("pool")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<12 {
                group.addTask { for _ in 0..<50 { _ = try await pool.send(RedisCommand("INCR", key)) } }
            }
            try await group.waitForAll()
        }
        #expect(try await pool.send(RedisCommand("GET", key)).integer == 600)
        let clients = try await pool.send(RedisCommand("CLIENT", "LIST")).string ?? ""
        #expect(clients.split(separator: "\n").count >= 3)
        _ = try await pool.send(RedisCommand("DEL", key))
        await pool.close()
    }

    @Test("each connection has a thread of its own, which ends when the connection is released")
    func threads() async throws {
        let name = "rd-\(UInt16.random(in: 1000...9999))"
        @Sendable func count() -> Int {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
            return tasks.filter { task in
                let comm = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)
                return comm?.trimmingCharacters(in: .whitespacesAndNewlines) == name
            }.count
        }
        let configuration = try RedisConfiguration(url: try await RedisTestSupport.sharedURL())
        var connections: [RedisConnection] = (0..<5).map { _ in RedisConnection(configuration: configuration, name: name) }
        for connection in connections { #expect(try await connection.send("PING") == .status("PONG")) }
        try await waitUntil("5 threads named \(name)") { count() == 5 }
        for connection in connections { await connection.close() }
        connections.removeAll()
        try await waitUntil("the threads to end") { count() == 0 }
    }
}
