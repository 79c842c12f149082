import Logging
import StreamingApplication
import StreamingRedis
import StreamingSQLite

extension StreamingSystem {
    static func openSQLiteQueue(path: String, queue: String, logger: Logger) throws -> any JobQueue {
        try SQLiteJobQueue(path: path, queue: queue, logger: logger)
    }

    static func openRedisQueue(url: String, queue: String, connections: Int, logger: Logger) throws -> any JobQueue {
        try RedisJobQueue(url: url, queue: queue, connections: connections, logger: logger)
    }
}
