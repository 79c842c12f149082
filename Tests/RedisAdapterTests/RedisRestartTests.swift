import Foundation
import StreamingApplication
import StreamingDomain
import StreamingRedis
import StreamingRedisTestSupport
import StreamingTestSupport
import Testing

/// Tests that need a server of their own, to restart it or to give it a password.
@Suite("Redis restarts and logins", .enabled(RedisTestSupport.ownServerRequirement) { RedisTestSupport.canStartServers })
struct RedisRestartTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("a queue carries on after the server restarts on the same port, and its jobs survive a saved restart")
    func reconnectAfterRestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("raaf-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var server = try await RedisTestServer.start(directory: directory.path)
        let port = server.port
        let queue = try RedisJobQueue(url: server.url, namespace: "restart")
        do {
            let ids = try await queue.enqueue((0..<4).map { NewJob(name: "j", payload: [UInt8($0)]) }, now: start)
            // Use every pooled connection, so each has a socket the restart will break.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { _ = try await queue.stats(now: start) } }
                try await group.waitForAll()
            }

            await server.stop(save: true)
            do {
                _ = try await queue.stats(now: start)
                Issue.record("a command succeeded with the server stopped")
            } catch StreamingError.connection {}

            server = try await RedisTestServer.start(port: port, directory: directory.path)
            // Stale sockets are noticed before a command is sent: no call fails now, and the
            // scripts the new server has never seen are loaded again (NOSCRIPT, then EVAL).
            for _ in 0..<8 {
                #expect(try await queue.stats(now: start).totalWaiting == 4)
            }
            let claimed = try await queue.claim(limit: 10, lease: .seconds(30), now: start)
            #expect(claimed.map(\.job.id) == ids)
            #expect(try await queue.complete(claimed.map { JobCompletion(lease: $0.lease) }, now: start).count == 4)

            // Without saving, the data is gone but the queue still works.
            await server.stop()
            server = try await RedisTestServer.start(port: port)
            #expect(try await queue.stats(now: start).completed == 0)
            _ = try await queue.enqueue(NewJob(name: "after"), now: start)
            #expect(try await queue.claim(limit: 1, lease: .seconds(30), now: start).map(\.job.name) == ["after"])
        } catch {
            try? await queue.shutdown()
            await server.stop()
            throw error
        }
        try await queue.shutdown()
        await server.stop()
    }

    @Test("a password and a database from the URL are sent on every new connection; a wrong password is a connection error without it")
    func loginAndDatabase() async throws {
        let server = try await RedisTestServer.start(password: "s3cr3t-pass")
        do {
            let queue = try RedisJobQueue(url: "redis://:s3cr3t-pass@127.0.0.1:\(server.port)/3", namespace: "login")
            _ = try await queue.enqueue(NewJob(name: "j"), now: start)
            let database3 = RedisConnection(configuration: try RedisConfiguration(url: "redis://default:s3cr3t-pass@127.0.0.1:\(server.port)/3"))
            let database0 = RedisConnection(configuration: try RedisConfiguration(url: server.url))
            #expect(try await database3.send("LLEN", "{login}:ready:normal") == .integer(1))
            #expect(try await database0.send("LLEN", "{login}:ready:normal") == .integer(0))
            await database3.close()
            await database0.close()
            try await queue.shutdown()

            let wrong = try RedisJobQueue(url: "redis://:not-the-pass@127.0.0.1:\(server.port)", namespace: "login")
            do {
                _ = try await wrong.stats(now: start)
                Issue.record("a wrong password was accepted")
            } catch StreamingError.connection(let detail) {
                #expect(detail.contains("WRONGPASS") && !detail.contains("not-the-pass"), "\(detail)")
            }
            try await wrong.shutdown()
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
