import Foundation
import StreamingApplication
import StreamingDomain
import StreamingRedis
import StreamingRedisTestSupport
import StreamingTestSupport
import Testing

/// The chat store across a crash of its Redis server, which needs a server of its own.
@Suite("RedisChatStore restarts", .enabled(RedisTestSupport.ownServerRequirement) { RedisTestSupport.canStartServers })
struct RedisChatStoreRestartTests {
    typealias Conformance = ChatStoreConformance

    @Test("with appendonly, rooms, history and every room's seq survive a SIGKILL of redis-server and a new store")
    func survivesAKilledServer() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("raaf-chat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var server = try await RedisTestServer.start(directory: directory.path, appendOnly: true)
        let port = server.port
        let lobby = Conformance.room("lobby", messageHistory: 10)
        let annex = Conformance.room("annex \u{1F680} {x}")
        let store = try RedisChatStore(configuration: RedisConfiguration(url: server.url))
        var reopened: RedisChatStore?
        do {
            try await store.saveRoom(lobby)
            try await store.saveRoom(annex)
            try await store.saveRoom(Conformance.room("gone"))
            for batch in stride(from: 1, through: 41, by: 10) {
                try await store.append(Conformance.messages("lobby", batch...(batch + 9)))
            }
            try await store.append(Conformance.messages("annex \u{1F680} {x}", 1...3) + Conformance.messages("gone", 1...2))
            try await store.deleteRoom(named: "gone")

            // A crash: only what reached the append-only file survives, and every write above was acknowledged.
            await server.kill()
            server = try await RedisTestServer.start(port: port, directory: directory.path, appendOnly: true)

            // A node that starts again opens a new store; the old one reconnects by itself.
            let again = try RedisChatStore(configuration: RedisConfiguration(url: server.url))
            reopened = again
            for current in [again, store] {
                #expect(try await current.rooms() == [lobby, annex])
                #expect(try await current.lastSeq(inRoom: "lobby") == 50)
                // The last messageHistory (10) messages of the lobby, every one of the annex.
                #expect(try await current.history(ofRoom: "lobby", beforeSeq: nil, limit: 100) == Conformance.messages("lobby", 41...50))
                #expect(try await current.history(ofRoom: "annex \u{1F680} {x}", beforeSeq: nil, limit: 100)
                    == Conformance.messages("annex \u{1F680} {x}", 1...3))
                #expect(try await current.history(ofRoom: "gone", beforeSeq: nil, limit: 100).isEmpty)
            }
            // The seq check holds across the restart (the scripts load again), and appending goes on.
            await #expect(throws: StreamingError.invalidInput("message seq 50 in room \"lobby\" is not above the last seq 50")) {
                try await again.append([Conformance.message("lobby", 50)])
            }
            try await again.append([Conformance.message("lobby", 51)])
            #expect(try await store.lastSeq(inRoom: "lobby") == 51)
            // A room created after the restart comes after the others.
            try await store.saveRoom(Conformance.room("attic"))
            #expect(try await again.rooms().map(\.name) == ["lobby", "annex \u{1F680} {x}", "attic"])
        } catch {
            await store.close()
            await reopened?.close()
            await server.stop()
            throw error
        }
        await store.close()
        await reopened?.close()
        await server.stop()
    }
}
