import Foundation
import StreamingApplication
import StreamingDomain

/// Named queues on one backend (the Ruby gem's `queue_name`), written once and run against
/// the memory, SQLite and Redis backends. Each case gets an opener of queues by name on one
/// fresh backend (one SQLite file, one Redis namespace, one memory backend).
///
/// ```swift
/// @Test(arguments: NamedQueueConformance.cases)
/// func named(_ check: NamedQueueConformance.Case) async throws {
///     try await check.run { name in try SQLiteJobQueue(path: path, queue: name) }
/// }
/// ```
public enum NamedQueueConformance {
    public typealias Opener = @Sendable (String) async throws -> any JobQueue

    public struct Case: Sendable, CustomStringConvertible {
        public let name: String
        let body: @Sendable (Opener) async throws -> Void

        public var description: String { name }

        /// Runs the case with queues from `open`.
        public func run(_ open: @escaping Opener) async throws {
            try await body(open)
        }
    }

    typealias C = JobQueueConformance

    static func payloads(_ claimed: [ClaimedJob]) -> [String] { C.names(claimed) }

    public static let cases: [Case] = [
        Case(name: "two named queues on one backend never claim each other's jobs") { open in
            let emails = try await open("emails")
            let reports = try await open("reports")
            _ = try await emails.enqueue([C.job("j", "e1"), C.job("j", "e2")], now: C.start)
            _ = try await reports.enqueue([C.job("j", "r1")], now: C.start)
            let fromReports = try await reports.claim(limit: 10, lease: C.lease, now: C.start)
            try C.check(payloads(fromReports) == ["r1"], "reports claimed \(payloads(fromReports))")
            let fromEmails = try await emails.claim(limit: 10, lease: C.lease, now: C.start)
            try C.check(payloads(fromEmails) == ["e1", "e2"], "emails claimed \(payloads(fromEmails))")
            let emailStats = try await emails.stats(now: C.start)
            try C.check(emailStats.processing == 2, "emails processing \(emailStats.processing)")
            try C.check(try await reports.stats(now: C.start).processing == 1, "reports stats mixed with emails")
            // One queue's lease recovery, dead jobs and job lookups stay in that queue.
            let later = C.start.addingTimeInterval(60)
            try C.check(try await reports.recoverExpiredLeases(now: later) == 1, "reports recovered other jobs")
            try C.check(try await emails.job(fromReports[0].job.id) == nil, "emails sees a report job")
            _ = try await emails.fail(fromEmails[0].lease, error: "boom", retryAt: nil, now: C.start)
            try C.check(try await reports.deadJobs(limit: 10).isEmpty, "reports sees emails' dead job")
            try C.check(try await emails.deadJobs(limit: 10).map(\.id) == [fromEmails[0].job.id], "emails lost its dead job")
            try await emails.shutdown()
            try await reports.shutdown()
        },
        Case(name: "an idempotency key is per queue; the same name opens the same queue") { open in
            let first = try await open("orders")
            let other = try await open("invoices")
            let a = try await first.enqueue([C.job("j", "a", key: "k1")], now: C.start)[0]
            let b = try await other.enqueue([C.job("j", "b", key: "k1")], now: C.start)[0]
            try C.check(a != b, "a key in one queue deduplicated a job in another")
            let again = try await open("orders")
            let claimed = try await again.claim(limit: 10, lease: C.lease, now: C.start)
            try C.check(payloads(claimed) == ["a"], "reopened queue claimed \(payloads(claimed))")
            try await first.shutdown()
            try await other.shutdown()
            try await again.shutdown()
        },
        Case(name: "a queue name that is not letters, digits or _ is refused with a typed error") { open in
            for bad in ["", "a b", "a:b", "{x}", String(repeating: "q", count: 65)] {
                do {
                    let queue = try await open(bad)
                    try? await queue.shutdown()
                    try C.check(false, "the name \"\(bad)\" was accepted")
                } catch is StreamingError {}
            }
        },
    ]
}
