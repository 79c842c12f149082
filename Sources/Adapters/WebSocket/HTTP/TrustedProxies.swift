import NIOCore

/// An IPv4 or IPv6 address as its 128 bits; an IPv4 address is held as the IPv4-mapped IPv6
/// address (`::ffff:a.b.c.d`), so a dual-stack socket's peer compares equal to its IPv4 form.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    let high: UInt64
    let low: UInt64

    /// `::ffff:0:0/96`, the IPv4-mapped addresses.
    static let mappedIPv4High: UInt64 = 0
    static let mappedIPv4Low: UInt64 = 0x0000_FFFF_0000_0000

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses `192.0.2.7` or `2001:db8::1` (no brackets, no port, no zone); `nil` otherwise.
    public init?(_ text: some StringProtocol) {
        guard !text.isEmpty, text.count <= 45, text.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }),
            let address = try? SocketAddress(ipAddress: String(text), port: 0)
        else { return nil }
        self.init(address)
    }

    /// The IP address of a socket address; `nil` for a Unix domain socket.
    public init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4):
            // `s_addr` is in network byte order: its bytes in memory are the address's bytes.
            let bytes = withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
            self.init(bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + bytes)
        case .v6(let v6):
            self.init(bytes: withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) })
        case .unixDomainSocket:
            return nil
        }
    }

    private init(bytes: [UInt8]) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        for byte in bytes[0..<8] { high = high << 8 | UInt64(byte) }
        for byte in bytes[8..<16] { low = low << 8 | UInt64(byte) }
        self.init(high: high, low: low)
    }

    /// Whether this is an IPv4 address (or its IPv4-mapped IPv6 form).
    public var isIPv4: Bool { high == Self.mappedIPv4High && low >> 32 == Self.mappedIPv4Low >> 32 }

    /// `192.0.2.7`, or the usual shortened IPv6 form such as `2001:db8::1`.
    public var description: String {
        var buffer = ByteBuffer()
        if isIPv4 {
            buffer.writeInteger(UInt32(truncatingIfNeeded: low))
        } else {
            buffer.writeInteger(high)
            buffer.writeInteger(low)
        }
        return (try? SocketAddress(packedIPAddress: buffer, port: 0))?.ipAddress ?? "?"
    }
}

/// A range of addresses in CIDR notation: `10.0.0.0/8`, `fd00::/8`; a single address is a
/// range of one (`/32`, `/128`).
public struct AddressRange: Hashable, Sendable, CustomStringConvertible {
    let base: IPAddress
    /// The prefix length over the 128-bit form (an IPv4 `/8` is 104 here).
    let prefix: Int

    /// Parses `ADDRESS` or `ADDRESS/PREFIX` (0–32 for IPv4, 0–128 for IPv6); `nil` otherwise.
    /// Host bits below the prefix are ignored: `10.1.2.3/8` is `10.0.0.0/8`.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        let width = address.isIPv4 ? 32 : 128
        var length = width
        if parts.count == 2 {
            guard parts[1].count <= 3, parts[1].allSatisfy(\.isASCIIDigit), let value = Int(parts[1]), value <= width
            else { return nil }
            length = value
        }
        prefix = length + (128 - width)
        base = Self.masked(address, prefix)
    }

    /// Whether `address` lies in the range.
    public func contains(_ address: IPAddress) -> Bool {
        Self.masked(address, prefix) == base
    }

    static func masked(_ address: IPAddress, _ prefix: Int) -> IPAddress {
        func mask(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : bits >= 64 ? .max : ~(UInt64.max >> UInt64(bits)) }
        return IPAddress(high: address.high & mask(prefix), low: address.low & mask(prefix - 64))
    }

    public var description: String {
        "\(base)/\(base.isIPv4 ? prefix - 96 : prefix)"
    }
}

/// The reverse proxies whose word on the client's address is taken (`TRUSTED_PROXIES`).
///
/// A request whose peer is one of them names its client in `Forwarded` (RFC 7239, its `for=`
/// parameters) or, when that header is absent, in `X-Forwarded-For`. Each proxy appends the
/// address it received the request from, so the list is read from the right: the client is the
/// rightmost address that is not a trusted proxy. What an untrusted peer sends in those
/// headers is ignored, and so is everything left of the first entry that is not an address
/// (`unknown`, an obfuscated `_name`): the client is then the last trusted hop.
public struct TrustedProxies: Hashable, Sendable {
    /// The trusted ranges; empty trusts nobody (the peer is the client).
    public let ranges: [AddressRange]

    public init(_ ranges: [AddressRange] = []) {
        self.ranges = ranges
    }

    /// Parses entries such as `10.0.0.0/8`, `127.0.0.1`, `::1`; `nil` when one is not an
    /// address or range.
    public init?(parsing entries: [String]) {
        var ranges: [AddressRange] = []
        for entry in entries {
            guard let range = AddressRange(entry) else { return nil }
            ranges.append(range)
        }
        self.init(ranges)
    }

    public var isEmpty: Bool { ranges.isEmpty }

    /// Whether `address` is a trusted proxy.
    public func contains(_ address: IPAddress) -> Bool {
        ranges.contains { $0.contains(address) }
    }

    /// The client's address: `peer` itself unless it is a trusted proxy; then the rightmost
    /// untrusted address of `forwarded` (the `Forwarded` header's values, in order) or, when
    /// there is none, of `forwardedFor` (`X-Forwarded-For`'s).
    public func clientAddress(peer: IPAddress?, forwarded: [String], forwardedFor: [String]) -> IPAddress? {
        guard let peer, contains(peer) else { return peer }
        let hops = forwarded.isEmpty ? ForwardedHeader.forwardedFor(forwardedFor) : ForwardedHeader.forNodes(forwarded)
        var client = peer
        for hop in hops.reversed() {
            guard let address = ForwardedHeader.address(ofNode: hop) else { break }
            client = address
            if !contains(address) { break }
        }
        return client
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
