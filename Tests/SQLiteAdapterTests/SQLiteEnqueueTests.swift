import Foundation
import StreamingApplication
import StreamingDomain
import StreamingSQLite
import Testing

@Suite("SQLiteJobQueue enqueue details")
struct SQLiteEnqueueTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("an idempotency key repeated within one batch stores one job and returns its id twice")
    func keyWithinBatch() async throws {
        try await TemporaryDatabase.with { database in
            let queue = try SQLiteJobQueue(path: database.path)
            let ids = try await queue.enqueue(
                [NewJob(name: "a", idempotencyKey: "k"), NewJob(name: "b"), NewJob(name: "c", idempotencyKey: "k")],
                now: start
            )
            #expect(ids[0] == ids[2] && ids[0] != ids[1])
            #expect(try await queue.stats(now: start).totalWaiting == 2)
            #expect(try await queue.job(ids[2])?.name == "a")
            try await queue.shutdown()
        }
    }

    @Test("job ids are time-ordered UUIDs (version 7), lease tokens random ones (version 4)")
    func identifiers() async throws {
        try await TemporaryDatabase.with { database in
            let queue = try SQLiteJobQueue(path: database.path)
            let first = try await queue.enqueue((0..<50).map { _ in NewJob(name: "j") }, now: start)
            let later = try await queue.enqueue(NewJob(name: "j"), now: start.addingTimeInterval(0.002))
            let all = first + [later]
            #expect(Set(all).count == all.count)
            for id in all {
                #expect(UUID(uuidString: id.rawValue) != nil && id.rawValue == id.rawValue.lowercased(), "\(id)")
                #expect(Array(id.rawValue)[14] == "7" && "89ab".contains(Array(id.rawValue)[19]), "\(id)")
            }
            #expect(first.allSatisfy { $0.rawValue < later.rawValue })
            let prefix = String(UInt64(start.timeIntervalSince1970 * 1_000), radix: 16)
            #expect(first[0].rawValue.replacingOccurrences(of: "-", with: "").hasPrefix("0" + prefix))
            let claimed = try await queue.claim(limit: 100, lease: .seconds(30), now: start)
            let tokens = claimed.map(\.lease.token)
            #expect(Set(tokens).count == tokens.count)
            #expect(tokens.allSatisfy { UUID(uuidString: $0) != nil && Array($0)[14] == "4" })
            try await queue.shutdown()
        }
    }

    @Test("empty payloads and results stay empty, a missing result stays missing")
    func emptyBytes() async throws {
        try await TemporaryDatabase.with { database in
            let queue = try SQLiteJobQueue(path: database.path)
            let ids = try await queue.enqueue([NewJob(name: "a"), NewJob(name: "b")], now: start)
            let claimed = try await queue.claim(limit: 2, lease: .seconds(30), now: start)
            #expect(claimed.map(\.job.payload) == [[], []])
            _ = try await queue.complete(
                [JobCompletion(lease: claimed[0].lease, result: []), JobCompletion(lease: claimed[1].lease)], now: start
            )
            let a = try await queue.job(ids[0])
            let b = try await queue.job(ids[1])
            #expect(a?.result == [] && a?.payload == [])
            #expect(b?.result == nil)
            try await queue.shutdown()
        }
    }
}
