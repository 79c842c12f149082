import Logging
import StreamingApplication
import StreamingDomain
import StreamingSQLite

extension StreamingSystem {
    static func openSQLiteQueue(path: String, logger: Logger) throws -> any JobQueue {
        try SQLiteJobQueue(path: path, logger: logger)
    }

    static func openRedisQueue(url: String, logger: Logger) throws -> any JobQueue {
        // Replaced by the Redis adapter when it lands; until then a Redis URL is refused, typed.
        throw StreamingError.configuration(variable: "REDIS_URL", reason: "this build has no Redis job queue yet")
    }
}
