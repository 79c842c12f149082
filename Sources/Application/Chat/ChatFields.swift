import StreamingDomain

/// The fields of chat requests, checked: each failure is `invalid_message` naming the field.
extension FieldReader {
    /// The longest room name, in characters.
    static let maxRoomNameLength = 128
    /// The longest display name, in characters.
    static let maxDisplayNameLength = 64

    /// `room`: 1 to 128 characters, not only spaces.
    func roomName() throws(ProtocolFailure) -> String {
        let name = try string("room")
        guard !name.allSatisfy(\.isWhitespace), name.count <= Self.maxRoomNameLength else {
            throw ProtocolFailure(.invalidMessage, "\"room\" must be 1 to \(Self.maxRoomNameLength) characters")
        }
        return name
    }

    /// `user`, when given: a display name of 1 to 64 characters, not only spaces.
    func displayName() throws(ProtocolFailure) -> String? {
        guard let name = try optionalString("user") else { return nil }
        guard !name.allSatisfy(\.isWhitespace), name.count <= Self.maxDisplayNameLength else {
            throw ProtocolFailure(.invalidMessage, "\"user\" must be 1 to \(Self.maxDisplayNameLength) characters")
        }
        return name
    }

    /// An agent's name.
    func agentName(_ name: String = "agent") throws(ProtocolFailure) -> String {
        let agent = try string(name)
        guard !agent.isEmpty, agent.utf8.count <= Self.maxNameLength else {
            throw ProtocolFailure(.invalidMessage, "\"\(name)\" must be 1 to \(Self.maxNameLength) bytes")
        }
        return agent
    }

    func optionalBool(_ name: String) throws(ProtocolFailure) -> Bool? {
        guard let value = fields[name], value != .null else { return nil }
        guard case .bool(let flag) = value else {
            throw ProtocolFailure(.invalidMessage, "field \"\(name)\" must be true or false")
        }
        return flag
    }

    /// An optional array of strings.
    func optionalStrings(_ name: String) throws(ProtocolFailure) -> [String]? {
        guard let value = fields[name], value != .null else { return nil }
        guard case .array(let items) = value else {
            throw ProtocolFailure(.invalidMessage, "field \"\(name)\" must be an array of strings")
        }
        var strings: [String] = []
        for item in items {
            guard case .string(let text) = item else {
                throw ProtocolFailure(.invalidMessage, "field \"\(name)\" must be an array of strings")
            }
            strings.append(text)
        }
        return strings
    }

    /// An optional integer within `range`.
    func optionalInt(_ name: String, in range: ClosedRange<Int>) throws(ProtocolFailure) -> Int? {
        guard let value = try optionalInt(name) else { return nil }
        guard range.contains(value) else {
            throw ProtocolFailure(.invalidMessage, "\"\(name)\" must be \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}
