#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StreamingDomain

/// What a job handler is given: the job as claimed, including which attempt this is.
public struct JobContext: Sendable {
    public let job: Job
    public let lease: JobLease

    /// 1 for the first attempt, 2 for the first retry, and so on.
    public var attempt: Int { job.attempts }
}

/// Runs one kind of job: its payload in, an optional result out (kept with the job).
struct JobHandler: Sendable {
    let run: @Sendable (JobContext) async throws -> [UInt8]?

    /// A handler whose payload is JSON decoded into `Payload`. A payload that does not
    /// decode is a permanent failure: retrying cannot fix it.
    static func decoding<Payload: Decodable & Sendable>(
        _ type: Payload.Type,
        name: String,
        _ body: @escaping @Sendable (Payload, JobContext) async throws -> [UInt8]?
    ) -> JobHandler {
        JobHandler { context in
            let payload: Payload
            do {
                payload = try JSONDecoder().decode(Payload.self, from: Data(context.job.payload))
            } catch {
                throw StreamingError.invalidInput(
                    "the payload of job \(context.job.id) does not decode as the payload of \"\(name)\": \(error)"
                )
            }
            return try await body(payload, context)
        }
    }

    /// The result encoded as JSON, for handlers that return a value.
    static func encode<Result: Encodable>(_ result: Result) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(result))
    }
}
