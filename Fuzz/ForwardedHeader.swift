// libFuzzer target: the reading of `Forwarded` / `X-Forwarded-For` and of `TRUSTED_PROXIES`
// (ForwardedHeader, TrustedProxies). The input is lines: the first holds TRUSTED_PROXIES entries
// (comma-separated), the second the peer's address, the rest header values.
// Differential: the hops are those of a byte-level reading of RFC 7239 / X-Forwarded-For (the
// delimiters are ASCII bytes, whatever Unicode sits beside them). Properties: an address or a
// range prints as text that parses back to itself; a range contains exactly the addresses whose
// first `prefix` bits are its own; the client is the peer unless the peer is trusted, and is
// otherwise the peer or the address of one of the hops.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzForwardedHeader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let entries = lines.first.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? []
    let values = Array(lines.dropFirst(2))

    let forwarded = ForwardedHeader.forNodes(values)
    let expectedForwarded = FuzzForwarded.forNodes(values)
    if forwarded.map({ Array($0.utf8) }) != expectedForwarded {
        fatalError("Forwarded \(values.debugDescription): \(forwarded) vs the byte-level reading \(expectedForwarded.map { String(decoding: $0, as: UTF8.self) })")
    }
    let forwardedFor = ForwardedHeader.forwardedFor(values)
    let expectedForwardedFor = FuzzForwarded.forwardedFor(values)
    if forwardedFor.map({ Array($0.utf8) }) != expectedForwardedFor {
        fatalError("X-Forwarded-For \(values.debugDescription): \(forwardedFor) vs the byte-level reading \(expectedForwardedFor.map { String(decoding: $0, as: UTF8.self) })")
    }
    for node in forwarded + forwardedFor {
        let address = ForwardedHeader.address(ofNode: node)
        if address != FuzzForwarded.address(ofNode: Array(node.utf8)) {
            fatalError("\(node) read as \(String(describing: address)), not as the byte-level reading")
        }
        if let address, IPAddress(address.description) != address {
            fatalError("\(node) read as \(address), which does not parse back")
        }
    }

    let ranges = entries.compactMap { AddressRange($0) }
    let peer = lines.count > 1 ? IPAddress(lines[1]) : nil
    for range in ranges {
        guard AddressRange(range.description) == range, range.contains(range.base) else {
            fatalError("range \(range) does not read back or contain its base")
        }
        if let peer, range.contains(peer) != FuzzForwarded.samePrefix(peer, range.base, range.prefix) {
            fatalError("\(range).contains(\(peer)) disagrees with a bit-by-bit comparison")
        }
    }
    let proxies = TrustedProxies(ranges)
    let hopAddresses = Set((forwarded + forwardedFor).compactMap { ForwardedHeader.address(ofNode: $0) })
    for (viaForwarded, viaForwardedFor) in [(values, [String]()), ([], values)] {
        let client = proxies.clientAddress(peer: peer, forwarded: viaForwarded, forwardedFor: viaForwardedFor)
        if let peer, !proxies.contains(peer), client != peer { fatalError("an untrusted peer's headers were believed") }
        if client != peer, client.map(hopAddresses.contains) != true { fatalError("client \(String(describing: client)) is neither the peer nor a hop") }
    }
    return 0
}

/// The reference: RFC 7239 and X-Forwarded-For read byte by byte, on the headers' UTF-8.
enum FuzzForwarded {
    static let comma = UInt8(ascii: ","), semicolon = UInt8(ascii: ";"), equals = UInt8(ascii: "=")
    static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")

    static func forNodes(_ values: [String]) -> [[UInt8]] {
        var nodes: [[UInt8]] = []
        for value in values {
            for element in split(Array(value.utf8)[...], at: comma) {
                var node = Array("unknown".utf8)
                for pair in split(element, at: semicolon) {
                    guard let index = pair.firstIndex(of: equals) else { continue }
                    let name = trimmed(pair[..<index]).map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }
                    if name == Array("for".utf8) { node = unquoted(trimmed(pair[(index + 1)...])) }
                }
                nodes.append(node)
            }
        }
        return Array(nodes.suffix(64))
    }

    static func forwardedFor(_ values: [String]) -> [[UInt8]] {
        let entries = values.flatMap { Array($0.utf8).split(separator: comma, omittingEmptySubsequences: false).map { Array(trimmed($0)) } }
        return Array(entries.suffix(64))
    }

    /// `a.b.c.d`, `a.b.c.d:PORT`, `[v6]`, `[v6]:PORT` or a bare v6; PORT is ASCII digits.
    static func address(ofNode node: [UInt8]) -> IPAddress? {
        let isPort: (ArraySlice<UInt8>) -> Bool = { !$0.isEmpty && $0.allSatisfy { (0x30...0x39).contains($0) } }
        let text: (ArraySlice<UInt8>) -> String = { String(decoding: $0, as: UTF8.self) }
        if node.first == UInt8(ascii: "[") {
            guard let close = node.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            let rest = node[(close + 1)...]
            guard rest.isEmpty || (rest.first == UInt8(ascii: ":") && isPort(rest.dropFirst())) else { return nil }
            return IPAddress(text(node[1..<close]))
        }
        let colons = node.filter { $0 == UInt8(ascii: ":") }.count
        if colons == 1, let colon = node.firstIndex(of: UInt8(ascii: ":")) {
            guard isPort(node[(colon + 1)...]) else { return nil }
            return IPAddress(text(node[..<colon]))
        }
        return IPAddress(text(node[...]))
    }

    static func split(_ bytes: ArraySlice<UInt8>, at separator: UInt8) -> [ArraySlice<UInt8>] {
        var parts: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        var quoted = false
        while index < bytes.endIndex {
            if quoted, bytes[index] == backslash {
                index += 1
                if index == bytes.endIndex { break }
            } else if bytes[index] == quote {
                quoted.toggle()
            } else if !quoted, bytes[index] == separator {
                parts.append(bytes[start..<index])
                start = index + 1
            }
            index += 1
        }
        parts.append(bytes[start...])
        return parts
    }

    static func unquoted(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        guard bytes.count >= 2, bytes.first == quote, bytes.last == quote else { return Array(bytes) }
        var result: [UInt8] = []
        var escaped = false
        for byte in bytes.dropFirst().dropLast() {
            if escaped || byte != backslash {
                result.append(byte)
                escaped = false
            } else {
                escaped = true
            }
        }
        return result
    }

    static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        guard let first = bytes.firstIndex(where: { !blank($0) }), let last = bytes.lastIndex(where: { !blank($0) }) else { return [] }
        return bytes[first...last]
    }

    static func samePrefix(_ a: IPAddress, _ b: IPAddress, _ prefix: Int) -> Bool {
        for bit in 0..<prefix {
            let word = bit < 64 ? (a.high, b.high) : (a.low, b.low)
            let shift = UInt64(63 - bit % 64)
            if (word.0 >> shift) & 1 != (word.1 >> shift) & 1 { return false }
        }
        return true
    }
}
