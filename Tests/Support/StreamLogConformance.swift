import StreamingApplication
import StreamingDomain

/// The behaviour every ``StreamLog`` backend must have, run against the in-memory log and
/// Redis. Each case gets a factory of logs that share one store (the nodes of one cluster),
/// with a lease of 1.5 s (expiry is seen in a few seconds; a busy machine does not outlast
/// it between two calls), and at most 50 frames kept.
public enum StreamLogConformance {
    public typealias Factory = @Sendable () async throws -> any StreamLog

    public static let options = StreamLogOptions(lease: .milliseconds(1_500), retention: .seconds(60), maxFrames: 50)

    public struct Case: Sendable, CustomStringConvertible {
        public let name: String
        let body: @Sendable (Factory) async throws -> Void

        public var description: String { name }

        /// Runs the case with logs made by `makeLog` (each a node's view of one store).
        public func run(makeLog: @escaping Factory) async throws {
            try await body(makeLog)
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    static func check(_ condition: Bool, _ message: @autoclosure () -> String, line: Int = #line) throws {
        if !condition { throw Failure(description: "line \(line): \(message())") }
    }

    static func frame(_ seq: Int, _ type: String = "response_chunk") -> StreamFrame {
        StreamFrame(seq: seq, type: type, frame: OutboundFrame(text: #"{"type":"\#(type)","seq":\#(seq)}"#))
    }

    static func record(_ id: String, node: String = "node-a", owner: String? = "ada") -> StreamRecord {
        StreamRecord(id: id, agentName: "assistant", input: "hello", owner: owner, node: node)
    }

    static func fresh() -> String { "s-" + ConnectionID.random().rawValue }

    static func expectFenced(_ body: () async throws -> Void, line: Int = #line) async throws {
        do {
            try await body()
            throw Failure(description: "line \(line): the append was not refused")
        } catch StreamLogError.fenced {}
    }

    /// Collects `stream`'s elements in a child task until `enough` holds for them, then stops
    /// reading; throws ``TimedOut`` after `timeout`, so a log that never delivers fails the
    /// case instead of hanging the test run.
    static func collect<Element: Sendable>(
        _ stream: AsyncStream<Element>,
        _ what: String,
        timeout: Duration = .seconds(10),
        until enough: @escaping @Sendable ([Element]) -> Bool
    ) async throws -> [Element] {
        let collected = Locked<[Element]>([])
        return try await withThrowingTaskGroup { group in
            group.addTask {
                for await element in stream { collected.withLock { $0.append(element) } }
            }
            defer { group.cancelAll() }
            try await waitUntil(timeout: timeout, what) { enough(collected.value) }
            return collected.value
        }
    }

    public static let cases: [Case] = [
        Case(name: "an id is created once across nodes; the record says who runs it and who owns it") { makeLog in
            let a = try await makeLog()
            let b = try await makeLog()
            let id = fresh()
            try check(try await a.create(record(id)), "the first create succeeds")
            try check(!(try await b.create(record(id, node: "node-b"))), "another node cannot take the id")
            let seen = try await b.record(id)
            try check(seen?.node == "node-a" && seen?.owner == "ada" && seen?.agentName == "assistant", "\(String(describing: seen))")
            try check(seen?.isLeased == true && seen?.isFinished == false && seen?.lastSeq == 0, "running and leased")
            try check(try await b.record(fresh()) == nil, "an unknown id has no record")
        },
        Case(name: "appended frames are read after a seq, in order; a retried batch is not logged twice") { makeLog in
            let a = try await makeLog()
            let b = try await makeLog()
            let id = fresh()
            _ = try await a.create(record(id))
            try await a.append((1...3).map { frame($0) }, to: id, node: "node-a", final: false)
            try await a.append((2...5).map { frame($0) }, to: id, node: "node-a", final: false)
            try check(try await b.frames(of: id, after: 0, limit: 100).map(\.seq) == [1, 2, 3, 4, 5], "all, once")
            try check(try await b.frames(of: id, after: 3, limit: 100).map(\.seq) == [4, 5], "after 3")
            try check(try await b.frames(of: id, after: 0, limit: 2).map(\.seq) == [1, 2], "limited")
            let read = try await b.frames(of: id, after: 4, limit: 1)
            try check(read.first?.frame == frame(5).frame && read.first?.type == "response_chunk", "bytes and type kept")
            try check(try await b.record(id)?.lastSeq == 5, "last seq")
        },
        Case(name: "a follower receives every batch appended after it followed") { makeLog in
            let a = try await makeLog()
            let b = try await makeLog()
            let id = fresh()
            _ = try await a.create(record(id))
            try await a.append([frame(1)], to: id, node: "node-a", final: false)
            let updates = try await b.follow(id)
            try await a.append([frame(2), frame(3)], to: id, node: "node-a", final: false)
            try await a.append([frame(4, "complete")], to: id, node: "node-a", final: true)
            let batches = try await collect(updates, "the follower to receive seq 4") { $0.last?.last?.seq == 4 }
            let seqs = batches.flatMap { $0.map(\.seq) }
            try check(seqs == [2, 3, 4], "got \(seqs)")
            let done = try await b.record(id)
            try check(done?.isFinished == true && done?.isLeased == false, "finished and released")
        },
        Case(name: "the log keeps the newest maxFrames frames") { makeLog in
            let a = try await makeLog()
            let id = fresh()
            _ = try await a.create(record(id))
            for start in stride(from: 1, through: 71, by: 10) {
                try await a.append((start...(start + 9)).map { frame($0) }, to: id, node: "node-a", final: false)
            }
            let kept = try await a.frames(of: id, after: 0, limit: 1_000).map(\.seq)
            try check(kept == Array(31...80), "kept \(kept.first ?? 0)...\(kept.last ?? 0), \(kept.count) frames")
        },
        Case(name: "a stream whose lease expired is declared lost once, and its node is fenced from then on") { makeLog in
            let a = try await makeLog()
            let b = try await makeLog()
            let id = fresh()
            _ = try await a.create(record(id))
            try await a.append([frame(1), frame(2)], to: id, node: "node-a", final: false)
            let lost = frame(3, "error")
            try check(!(try await b.markLost(id, expectedLastSeq: 2, frame: lost)), "not while the lease holds")
            try await waitUntil("the lease to expire") { (try? await b.record(id))?.isLeased == false }
            try check(!(try await b.markLost(id, expectedLastSeq: 1, frame: frame(2, "error"))), "not at a stale seq")
            try check(try await b.markLost(id, expectedLastSeq: 2, frame: lost), "declared lost")
            try check(!(try await b.markLost(id, expectedLastSeq: 2, frame: lost)), "only once")
            try await expectFenced { try await a.append([frame(3)], to: id, node: "node-a", final: false) }
            try await expectFenced { try await a.renew(id, node: "node-a") }
            let frames = try await b.frames(of: id, after: 0, limit: 10)
            try check(frames.map(\.seq) == [1, 2, 3] && frames.last?.type == "error", "the lost frame ends the log")
        },
        Case(name: "renewing keeps the lease; a node that lapsed without being declared lost takes it again") { makeLog in
            let a = try await makeLog()
            let b = try await makeLog()
            let id = fresh()
            _ = try await a.create(record(id))
            // A node's renewal period (not a wait for a condition): 2 s of renewals outlive the 1.5 s lease.
            for _ in 0..<4 {
                try await Task.sleep(for: .milliseconds(500))
                try await a.renew(id, node: "node-a")
            }
            try check(try await b.record(id)?.isLeased == true, "renewed past the first lease")
            try await waitUntil("the lease to expire") { (try? await b.record(id))?.isLeased == false }
            try await a.append([frame(1)], to: id, node: "node-a", final: false)
            try check(try await b.record(id)?.isLeased == true, "the append took the lease again")
            try await expectFenced { try await b.append([frame(2)], to: id, node: "node-b", final: false) }
        },
        Case(name: "appending to or renewing a stream the log does not have says missing") { makeLog in
            let a = try await makeLog()
            do {
                try await a.append([frame(1)], to: fresh(), node: "node-a", final: false)
                throw Failure(description: "append to a missing stream succeeded")
            } catch StreamLogError.missing {}
            do {
                try await a.renew(fresh(), node: "node-a")
                throw Failure(description: "renew of a missing stream succeeded")
            } catch StreamLogError.missing {}
        },
        Case(name: "a cancel request reaches the node it is sent to, and only it") { makeLog in
            let a = try await makeLog()
            let b = try await makeLog()
            let toA = try await a.cancelRequests(for: "node-a")
            let toB = try await b.cancelRequests(for: "node-b")
            try await b.requestCancel("s-1", on: "node-a")
            try await a.requestCancel("s-2", on: "node-b")
            let atA = try await collect(toA, "node-a's cancel request") { !$0.isEmpty }
            let atB = try await collect(toB, "node-b's cancel request") { !$0.isEmpty }
            try check(atA == ["s-1"] && atB == ["s-2"], "a got \(atA), b got \(atB)")
        },
    ]
}
