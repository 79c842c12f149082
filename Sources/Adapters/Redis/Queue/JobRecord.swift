import FoundationEssentials
import StreamingDomain

/// A job hash as `HGETALL` returns it, read into a ``Job`` (with the live lease's token,
/// if any). The checks and their wording match the Lua `problems_of` of `JobScripts`.
struct JobRecord {
    var job: Job
    /// The token of the live lease, while the job is processing.
    var token: String?

    /// The fields every job hash has, in the order problems are reported.
    static let requiredFields = ["id", "name", "payload", "priority", "state", "run_at", "enqueued_at", "attempts", "max_attempts"]

    /// Reads a flat field/value list. A record that cannot be read throws ``Unreadable``.
    init(flat: [RedisReply], expectedID: JobID? = nil) throws {
        var id: String?, name: String?, payload: [UInt8]?, priority: String?, state: String?
        var runAt: String?, enqueuedAt: String?, attempts: String?, maxAttempts: String?
        var idempotencyKey: String?, lastError: String?, result: [UInt8]?, token: String?
        var problems: [String] = []
        var index = 0
        while index + 1 < flat.count {
            guard case .bulk(let field) = flat[index], case .bulk(let value) = flat[index + 1] else {
                throw StreamingError.protocol("a job hash came back as something other than field/value strings")
            }
            let text = { String(decoding: value, as: UTF8.self) }
            switch String(decoding: field, as: UTF8.self) {
            case "id": id = text()
            case "name": name = text()
            case "payload": payload = value
            case "priority": priority = text()
            case "state": state = text()
            case "run_at": runAt = text()
            case "enqueued_at": enqueuedAt = text()
            case "attempts": attempts = text()
            case "max_attempts": maxAttempts = text()
            case "idem": idempotencyKey = text()
            case "last_error": lastError = text()
            case "result": result = value
            case "token": token = text()
            case "seq": break
            case let unknown: problems.append("unknown field \"\(Self.shown(unknown))\"")
            }
            index += 2
        }
        if flat.isEmpty {
            problems.append("the job hash is missing")
        } else {
            // In the order of `requiredFields`, as the Lua check reports them.
            let present = [id != nil, name != nil, payload != nil, priority != nil, state != nil, runAt != nil,
                           enqueuedAt != nil, attempts != nil, maxAttempts != nil]
            if present.contains(false) {
                for (field, isPresent) in zip(Self.requiredFields, present) where !isPresent {
                    problems.append("missing field \(field)")
                }
            }
        }
        if let expectedID, let id, id != expectedID.rawValue { problems.append("field id does not match the key") }
        func parse<Value>(_ field: String, _ raw: String?, _ complaint: String, _ parser: (String) -> Value?) -> Value? {
            guard let raw else { return nil }
            guard let value = parser(raw) else {
                problems.append("\(field) \"\(Self.shown(raw))\" \(complaint)")
                return nil
            }
            return value
        }
        let jobPriority = parse("priority", priority, "is not high, normal or low", JobPriority.init(rawValue:))
        let jobState = parse("state", state, "is unknown", JobState.init(rawValue:))
        let attemptCount = parse("attempts", attempts, "is not an integer") { Int($0) }
        let attemptLimit = parse("max_attempts", maxAttempts, "is not an integer") { Int($0) }
        let runAtDate = parse("run_at", runAt, "is not a time", Self.date)
        let enqueuedAtDate = parse("enqueued_at", enqueuedAt, "is not a time", Self.date)
        let jobID = (id ?? expectedID?.rawValue).map(JobID.init(rawValue:))
        guard problems.isEmpty, let jobID, let name, let payload, let jobPriority, let jobState, let runAtDate,
              let enqueuedAtDate, let attemptCount, let attemptLimit
        else { throw Unreadable(id: jobID, reason: problems.joined(separator: "; ")) }
        job = Job(
            id: jobID,
            name: name,
            payload: payload,
            priority: jobPriority,
            state: jobState,
            runAt: runAtDate,
            enqueuedAt: enqueuedAtDate,
            attempts: attemptCount,
            maxAttempts: attemptLimit,
            idempotencyKey: idempotencyKey,
            lastError: lastError,
            result: result
        )
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A time as the hash stores it: seconds since 1970, as `Double.description` wrote them.
    static func text(_ date: Date) -> String {
        String(date.timeIntervalSince1970)
    }

    static func date(_ text: String) -> Date? {
        Double(text).flatMap { $0.isFinite ? Date(timeIntervalSince1970: $0) : nil }
    }

    /// At most 40 characters of a value, for a message.
    private static func shown(_ text: String) -> String {
        text.count > 40 ? text.prefix(40) + "..." : text
    }

    /// Why a job hash cannot be read; as an error, `StreamingError.protocol("corrupt record: …")`.
    struct Unreadable: Error {
        var id: JobID?
        var reason: String

        var error: StreamingError {
            .protocol("corrupt record: job \(id?.rawValue ?? "?"): \(reason)")
        }
    }
}
