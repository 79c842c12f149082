import StreamingDomain

/// Where a Redis server is and how to log in: parsed from a `REDIS_URL`.
///
/// Accepted forms (the password may be percent-encoded):
/// - `redis://host`, `redis://host:port`, `redis://host:port/db`
/// - `redis://:password@host:port/db`
/// - `redis://user:password@host:port/db` (Redis 6 ACL users)
/// - `redis://[::1]:6379` (an IPv6 address in brackets)
///
/// The port defaults to 6379 and the database to 0. TLS (`rediss://`) is not supported by
/// the hiredis this package links.
public struct RedisConfiguration: Sendable, Hashable {
    /// The server's host name or IP address.
    public var host: String
    /// The server's TCP port.
    public var port: Int
    /// The ACL user, or `nil` for the default user.
    public var username: String?
    /// The password given to `AUTH`, or `nil` when the server needs none.
    public var password: String?
    /// The database number given to `SELECT`.
    public var database: Int
    /// How long connecting may take.
    public var connectTimeout: Duration
    /// How long one command (or one pipeline) may take before the connection is dropped.
    public var commandTimeout: Duration

    /// A configuration given in code; ``init(url:variable:)`` reads one from a `REDIS_URL`.
    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        connectTimeout: Duration = .seconds(5),
        commandTimeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    /// Parses `url`; a malformed one throws `StreamingError.configuration` naming
    /// `variable`, whose reason never repeats the password (nor any part of the URL).
    public init(url: String, variable: String = "REDIS_URL") throws {
        func failure(_ reason: String) -> StreamingError {
            .configuration(variable: variable, reason: reason + "; expected redis://[[user]:password@]host[:port][/db]")
        }
        self.init()
        let schemeEnd = url.range(of: "://")
        guard let schemeEnd else { throw failure("the URL has no scheme") }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        if scheme == "rediss" { throw failure("TLS (rediss://) is not supported by this hiredis build") }
        guard scheme == "redis" else { throw failure("the scheme must be redis") }
        var rest = Substring(url[schemeEnd.upperBound...])
        // The user info ends at the last "@", so a password may hold "@" or "/".
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            guard let colon = userInfo.firstIndex(of: ":") else {
                throw failure("the user info has no colon (write redis://:password@host for a password alone)")
            }
            guard let decodedUser = Self.percentDecoded(userInfo[..<colon]),
                  let decodedSecret = Self.percentDecoded(userInfo[userInfo.index(after: colon)...])
            else { throw failure("the user or password has a malformed percent escape") }
            username = decodedUser.isEmpty ? nil : decodedUser
            password = decodedSecret.isEmpty ? nil : decodedSecret
        }
        if rest.contains("?") || rest.contains("#") { throw failure("query parameters and fragments are not supported") }
        var authority = rest
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            let path = rest[rest.index(after: slash)...]
            if !path.isEmpty {
                guard let number = Int(path), number >= 0 else {
                    throw failure("the database after the slash must be a number, 0 or more")
                }
                database = number
            }
        }
        var hostPart = authority
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw failure("an IPv6 address lacks its closing bracket") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw failure("only a port may follow an IPv6 address") }
                portPart = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw failure("the host is missing") }
        guard !hostPart.contains(where: { $0 == " " || $0 == ":" && !authority.hasPrefix("[") }) else {
            throw failure("the host is malformed")
        }
        host = String(hostPart)
        if let portPart {
            guard let number = Int(portPart), (1...65_535).contains(number) else {
                throw failure("the port must be a number from 1 to 65535")
            }
            port = number
        }
    }

    /// `text` with `%XX` escapes decoded, or `nil` when an escape is malformed.
    private static func percentDecoded(_ text: Substring) -> String? {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next(), let low = iterator.next(),
                  let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            else { return nil }
            bytes.append(value)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension RedisConfiguration: CustomStringConvertible {
    /// The server's address, without the password.
    public var description: String {
        let secret = password == nil ? "" : ":[redacted]"
        let user = username == nil && password == nil ? "" : "\(username ?? "")\(secret)@"
        let address = host.contains(":") ? "[\(host)]" : host
        return "redis://\(user)\(address):\(port)/\(database)"
    }
}

extension RedisConfiguration: CustomReflectable {
    /// A mirror with the password masked, so `dump` does not print it.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "host": host, "port": port, "username": username as Any,
            "password": (password == nil ? nil : "[redacted]") as Any,
            "database": database, "connectTimeout": connectTimeout, "commandTimeout": commandTimeout,
        ], displayStyle: .struct)
    }
}
