import Foundation
import StreamingApplication
import StreamingDomain

/// How chat records are written in Redis: JSON with sorted keys and dates in milliseconds
/// since 1970, so the Lua scripts can read a room's settings (`cjson.decode`) and splice a
/// `seq` into a message.
enum ChatCoding {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }()

    static func encode(_ value: some Encodable) throws -> [UInt8] {
        Array(try encoder.encode(value))
    }

    static func decode<Value: Decodable>(_ type: Value.Type, _ bytes: [UInt8]) throws -> Value {
        do {
            return try decoder.decode(type, from: Data(bytes))
        } catch {
            throw StreamingError.protocol("a chat record in Redis could not be read: \(error)")
        }
    }

    static func encodeRoom(_ room: Room) throws -> String {
        String(decoding: try encode(room), as: UTF8.self)
    }

    static func decodeRoom(_ bytes: [UInt8]) throws -> Room { try decode(Room.self, bytes) }

    static func encodeMessage(_ message: RoomMessage) throws -> [UInt8] { try encode(message) }

    static func decodeMessage(_ bytes: [UInt8]) throws -> RoomMessage { try decode(RoomMessage.self, bytes) }
}
