import StreamingDomain

/// The Redis keys of chat rooms in one namespace: the one place their names are spelled, for
/// ``RedisChatStore`` and for any script that works on the same rooms.
///
/// With namespace `ns` (`raaf` by default, as for the other Redis adapters):
///
/// | key | type | holds |
/// | --- | --- | --- |
/// | `ns:chat:rooms` | sorted set | every room's name, scored by its creation order: `ZRANGE` lists rooms in that order, `ZCARD` counts them |
/// | `ns:chat:roomorder` | string (counter) | the last creation number handed out (`INCR`) |
/// | `ns:chat:room:{NAME}:meta` | string | the ``Room`` as JSON (``ChatRecordCoding``) |
/// | `ns:chat:room:{NAME}:seq` | string (counter) | the room's last `seq`, kept when old messages are trimmed |
/// | `ns:chat:room:{NAME}:log` | stream | one entry per kept message: id `0-<seq>`, one field `m`, the ``RoomMessage`` as JSON |
///
/// The braces around the room's name are a Redis hash tag, so every key of one room hashes
/// to one slot and a script may touch them together. Names are used as they are, any
/// characters included (braces, `:`, spaces, emoji): keys of different rooms never
/// collide, because a room key is the prefix, the name, then `}:` and a suffix with no `}`
/// in it, and no suffix ends another one. A script that adds keys of its own to a room
/// keeps that true by choosing suffixes without `}`.
///
/// Chat keys have no expiry: rooms and history outlive every node.
public struct ChatKeys: Sendable, Hashable {
    /// The prefix shared with the cluster's other Redis keys.
    public let namespace: String

    /// The keys of `namespace`.
    ///
    /// - Throws: `StreamingError.invalidInput` for an empty namespace or one with a brace,
    ///   which would change the hash tag of every room key.
    public init(namespace: String) throws {
        guard !namespace.isEmpty, !namespace.contains("{"), !namespace.contains("}") else {
            throw StreamingError.invalidInput("a Redis namespace must be non-empty and without braces")
        }
        self.namespace = namespace
    }

    /// `ns:chat:rooms`: the sorted set of room names by creation order.
    public var rooms: String { prefix + Self.roomsName }
    /// `ns:chat:roomorder`: the counter that numbers new rooms.
    public var roomOrder: String { prefix + Self.roomOrderName }

    /// `ns:chat:`: what every chat key starts with (the ledger scripts' `ARGV[1]`).
    public var prefix: String { namespace + ":chat:" }

    /// `ns:chat:room:{`: what every key of a room starts with, before the room's name.
    public var roomPrefix: String { prefix + Self.roomOpen }

    /// `ns:chat:room:{NAME}:SUFFIX`; `suffix` must not contain `}`.
    public func room(_ name: String, _ suffix: String) -> String {
        roomPrefix + name + Self.roomClose + suffix
    }

    /// `ns:chat:room:{NAME}:meta`: the room's settings as JSON.
    public func meta(_ name: String) -> String { room(name, Self.metaSuffix) }
    /// `ns:chat:room:{NAME}:seq`: the room's last `seq`.
    public func seq(_ name: String) -> String { room(name, Self.seqSuffix) }
    /// `ns:chat:room:{NAME}:log`: the room's kept messages.
    public func log(_ name: String) -> String { room(name, Self.logSuffix) }

    /// Every key of a room that deleting the room removes: meta, seq, log and the ledger's.
    public func roomKeys(_ name: String) -> [String] {
        [meta(name), seq(name), log(name)] + Self.ledgerSuffixes.map { room(name, $0) }
    }

    /// The keys of a room that ``RedisChatLedger`` keeps besides the store's: its event
    /// counter, members, join order, typists, live answer and its text, the messages waiting
    /// for the agent and the node answering them.
    public static let ledgerSuffixes = ["ev", "members", "joins", "typing", "live", "text", "waiting", "answerer"]

    /// ``rooms`` and ``roomOrder`` after ``prefix``.
    public static let roomsName = "rooms"
    public static let roomOrderName = "roomorder"
    /// What a room key holds between ``prefix`` and the room's name, and between the name and
    /// its suffix.
    public static let roomOpen = "room:{"
    public static let roomClose = "}:"

    public static let metaSuffix = "meta"
    public static let seqSuffix = "seq"
    public static let logSuffix = "log"
    /// The one field of a log entry: the message's JSON.
    public static let messageField = "m"

    /// The highest `seq` a room may reach: scripts compare seqs as Lua numbers (doubles),
    /// exact up to 2^53 − 1.
    public static let maxSeq = (1 << 53) - 1
}
