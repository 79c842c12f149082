import FoundationEssentials
import StreamingDomain

/// How ``RedisChatStore`` writes rooms and messages into Redis values, for any code that
/// reads or writes the same keys (``ChatKeys``).
///
/// Both are their `Codable` JSON with Foundation's default date form (seconds since
/// 2001-01-01 as a JSON number), which gives back the exact `Date` that was stored:
/// `{"name":"lobby","maxParticipants":12,…,"createdAt":820000000.5}` and
/// `{"room":"lobby","seq":3,"sender":"user","author":"ada","content":"hi","sentAt":820000003}`.
///
/// The key is the truth for a room's name and the entry id for a message's `seq`: reading
/// puts them over the copies inside the JSON, so a script that allocates a `seq` and adds
/// the entry `0-<seq>` may leave the JSON's `seq` as it found it.
public enum ChatRecordCoding {
    /// The JSON of `room`.
    public static func encode(_ room: Room) throws -> [UInt8] {
        do {
            return Array(try JSONEncoder().encode(room))
        } catch {
            throw StreamingError.invalidInput("room \"\(room.name)\" cannot be encoded: \(error)")
        }
    }

    /// The JSON of `message`.
    public static func encode(_ message: RoomMessage) throws -> [UInt8] {
        do {
            return Array(try JSONEncoder().encode(message))
        } catch {
            throw StreamingError.invalidInput("message \(message.seq) of room \"\(message.room)\" cannot be encoded: \(error)")
        }
    }

    /// The room stored as `bytes` under the name `name`.
    ///
    /// - Throws: `StreamingError.protocol("corrupt chat record: …")` when `bytes` is not a room.
    public static func room(named name: String, from bytes: [UInt8]) throws -> Room {
        do {
            var room = try JSONDecoder().decode(Room.self, from: Data(bytes))
            room.name = name
            return room
        } catch {
            throw corrupt("room \"\(name)\": its settings are not a room (\(error))")
        }
    }

    /// The message stored as `bytes` in the entry `0-<seq>` of room `room`'s log.
    ///
    /// - Throws: `StreamingError.protocol("corrupt chat record: …")` when `bytes` is not a message.
    public static func message(room: String, seq: Int, from bytes: [UInt8]) throws -> RoomMessage {
        do {
            var message = try JSONDecoder().decode(RoomMessage.self, from: Data(bytes))
            message.room = room
            message.seq = seq
            return message
        } catch {
            throw corrupt("message \(seq) of room \"\(room)\" is not a message (\(error))")
        }
    }

    static func corrupt(_ reason: String) -> StreamingError {
        .protocol("corrupt chat record: \(reason)")
    }
}
