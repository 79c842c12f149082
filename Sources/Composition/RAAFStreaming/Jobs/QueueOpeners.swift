import Logging
import StreamingApplication
import StreamingRedis
import StreamingSQLite

extension StreamingSystem {
    static func openSQLiteQueue(path: String, logger: Logger) throws -> any JobQueue {
        try SQLiteJobQueue(path: path, logger: logger)
    }

    static func openRedisQueue(url: String, connections: Int, logger: Logger) throws -> any JobQueue {
        try RedisJobQueue(url: url, connections: connections, logger: logger)
    }
}
