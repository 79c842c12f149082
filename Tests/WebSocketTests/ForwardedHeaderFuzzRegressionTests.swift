import StreamingTestSupport
import Testing

@testable import StreamingWebSocket

/// What `make fuzz` found in the reading of `Forwarded`, `X-Forwarded-For` and `TRUSTED_PROXIES`
/// (Fuzz/ForwardedHeader.swift), replayed. An input is lines: TRUSTED_PROXIES entries
/// (comma-separated), the peer's address, then header values.
@Suite("Forwarded header fuzz regressions")
struct ForwardedHeaderFuzzRegressionTests {
    @Test(arguments: FuzzCorpus.inputs("ForwardedHeader"))
    func replay(_ input: FuzzCorpus.Input) {
        let lines = String(decoding: input.bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let values = Array(lines.dropFirst(2))

        // One hop per element, counted on the ASCII delimiters of the UTF-8.
        let forwardedFor = ForwardedHeader.forwardedFor(values)
        #expect(forwardedFor.count == min(ForwardedHeader.maximumHops, values.map { Self.elements($0, quoted: false) }.reduce(0, +)))
        let forwarded = ForwardedHeader.forNodes(values)
        #expect(forwarded.count == min(ForwardedHeader.maximumHops, values.map { Self.elements($0, quoted: true) }.reduce(0, +)))

        // A node that names an address is ASCII, and the address prints as text that reads back.
        var hops = Set<IPAddress>()
        for node in forwarded + forwardedFor {
            guard let address = ForwardedHeader.address(ofNode: node) else { continue }
            #expect(node.utf8.allSatisfy { $0 < 0x80 }, "\(node)")
            #expect(IPAddress(address.description) == address)
            hops.insert(address)
        }

        let ranges = (lines.first ?? "").split(separator: ",", omittingEmptySubsequences: false).compactMap { AddressRange($0) }
        for range in ranges {
            #expect(AddressRange(range.description) == range)
            #expect(range.contains(range.base))
        }
        let proxies = TrustedProxies(ranges)
        let peer = lines.count > 1 ? IPAddress(lines[1]) : nil
        for (viaForwarded, viaForwardedFor) in [(values, [String]()), ([], values)] {
            let client = proxies.clientAddress(peer: peer, forwarded: viaForwarded, forwardedFor: viaForwardedFor)
            if let peer, !proxies.contains(peer) { #expect(client == peer) }
            if client != peer { #expect(client.map(hops.contains) == true) }
        }
    }

    @Test func corpusIsThere() {
        #expect(FuzzCorpus.inputs("ForwardedHeader").count >= 3)
    }

    /// Elements of one header value: ASCII commas, outside double quotes when `quoted`, plus one.
    static func elements(_ value: String, quoted: Bool) -> Int {
        var count = 1
        var inQuotes = false
        var escaped = false
        for byte in value.utf8 {
            if escaped {
                escaped = false
            } else if quoted, inQuotes, byte == UInt8(ascii: "\\") {
                escaped = true
            } else if quoted, byte == UInt8(ascii: "\"") {
                inQuotes.toggle()
            } else if !inQuotes, byte == UInt8(ascii: ",") {
                count += 1
            }
        }
        return count
    }
}
