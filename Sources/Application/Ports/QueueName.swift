/// The name of a queue on a shared backend (the Ruby gem's `queue_name`): several named
/// queues live in one SQLite file, on one Redis server or in one ``JobQueue`` memory backend
/// without claiming each other's jobs.
///
/// A name is 1 to 64 ASCII letters, digits or `_`, so it can be part of a table name or a
/// Redis key as it is. ``defaultName`` is the queue every earlier version used.
public enum QueueName {
    /// The queue of a backend opened without a name.
    public static let defaultName = "default"

    /// Whether `name` can name a queue.
    public static func isValid(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count) else { return false }
        return name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
        }
    }

    /// Why `name` cannot name a queue, for an error message.
    public static func problem(_ name: String) -> String {
        "a queue name is 1 to 64 letters, digits or _, got \"\(name)\""
    }
}
