import NIOCore
import Testing

@testable import StreamingWebSocket

/// CIDR matching and the reading of `Forwarded` / `X-Forwarded-For` (`TRUSTED_PROXIES`).
@Suite("Trusted proxies: addresses, ranges, forwarding headers")
struct TrustedProxiesTests {
    static func address(_ text: String) throws -> IPAddress { try #require(IPAddress(text)) }

    @Test("IPv4 and IPv6 addresses parse, print in their usual form, and an IPv4-mapped one equals its IPv4 form")
    func addresses() throws {
        #expect(try Self.address("192.0.2.7").description == "192.0.2.7")
        #expect(try Self.address("2001:0db8:0:0:0:0:0:1").description == "2001:db8::1")
        #expect(try Self.address("::ffff:192.0.2.7") == Self.address("192.0.2.7"))
        #expect(try Self.address("192.0.2.7").isIPv4)
        #expect(try !Self.address("::1").isIPv4)
        let peer = try SocketAddress(ipAddress: "10.1.2.3", port: 4242)
        #expect(IPAddress(peer) == (try Self.address("10.1.2.3")))
        for bad in ["", "localhost", "192.0.2", "192.0.2.256", "1.2.3.4.5", "2001:db8::1::2", "[::1]", "192.0.2.7:80", "fe80::1%eth0", " 1.2.3.4"] {
            #expect(IPAddress(bad) == nil, "\(bad)")
        }
    }

    @Test("CIDR ranges match exactly their prefix, IPv4 and IPv6, host bits ignored")
    func ranges() throws {
        let ten = try #require(AddressRange("10.0.0.0/8"))
        #expect(ten.contains(try Self.address("10.255.0.1")))
        #expect(!ten.contains(try Self.address("11.0.0.1")))
        #expect(!ten.contains(try Self.address("::ffff:b00:1")))  // 11.0.0.1, mapped
        #expect(ten.contains(try Self.address("::ffff:a00:1")))  // 10.0.0.1, mapped

        let narrow = try #require(AddressRange("192.168.1.77/30"))
        #expect(narrow.description == "192.168.1.76/30")
        #expect(narrow.contains(try Self.address("192.168.1.79")))
        #expect(!narrow.contains(try Self.address("192.168.1.80")))
        #expect(!narrow.contains(try Self.address("192.168.1.75")))

        let single = try #require(AddressRange("127.0.0.1"))
        #expect(single.contains(try Self.address("127.0.0.1")))
        #expect(!single.contains(try Self.address("127.0.0.2")))

        let everyIPv4 = try #require(AddressRange("0.0.0.0/0"))
        #expect(everyIPv4.contains(try Self.address("203.0.113.9")))
        #expect(!everyIPv4.contains(try Self.address("2001:db8::1")))

        let unique = try #require(AddressRange("fd00::/8"))
        #expect(unique.contains(try Self.address("fd12:3456::1")))
        #expect(!unique.contains(try Self.address("fe80::1")))
        let crossing = try #require(AddressRange("2001:db8:0:8000::/65"))  // the prefix ends in the low half
        #expect(crossing.contains(try Self.address("2001:db8:0:8000:7fff::1")))
        #expect(!crossing.contains(try Self.address("2001:db8:0:8000:8000::1")))
        #expect(AddressRange("::1/128")?.contains(try Self.address("::1")) == true)

        for bad in ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0.0/ 8", "ten/8", "10.0.0.0/0008"] {
            #expect(AddressRange(bad) == nil, "\(bad)")
        }
    }

    @Test("Forwarded: for= of each element in order, quoted, bracketed, with ports, other parameters skipped")
    func forwardedHeader() {
        let nodes = ForwardedHeader.forNodes([
            #"for=192.0.2.60;proto=http;by=203.0.113.43, For="[2001:db8:cafe::17]:4711""#,
            #"proto=https, for=unknown ; host="a,b;c", for="_hidden""#,
        ])
        #expect(nodes == ["192.0.2.60", "[2001:db8:cafe::17]:4711", "unknown", "unknown", "_hidden"])
        #expect(ForwardedHeader.forNodes([#"for="10.0.0.1\"x", for=10.0.0.2"#]) == [#"10.0.0.1"x"#, "10.0.0.2"])
        #expect(ForwardedHeader.forNodes([""]) == ["unknown"])
        #expect(ForwardedHeader.forNodes([#"for="unterminated, for=1.2.3.4"#]).count == 1)
    }

    @Test("a node's address: IPv4 with or without port, IPv6 bracketed or bare; unknown and obfuscated are none")
    func nodeAddresses() throws {
        #expect(ForwardedHeader.address(ofNode: "192.0.2.60") == (try Self.address("192.0.2.60")))
        #expect(ForwardedHeader.address(ofNode: "192.0.2.60:8080") == (try Self.address("192.0.2.60")))
        #expect(ForwardedHeader.address(ofNode: "[2001:db8::17]:4711") == (try Self.address("2001:db8::17")))
        #expect(ForwardedHeader.address(ofNode: "[2001:db8::17]") == (try Self.address("2001:db8::17")))
        #expect(ForwardedHeader.address(ofNode: "2001:db8::17") == (try Self.address("2001:db8::17")))
        for bad in ["unknown", "_hidden", "", "[2001:db8::17", "[2001:db8::17]x", "[2001:db8::17]:", "192.0.2.60:", "example.com"] {
            #expect(ForwardedHeader.address(ofNode: bad[...]) == nil, "\(bad)")
        }
    }

    @Test("X-Forwarded-For: every entry of every header line, trimmed, in order; long chains keep the nearest hops")
    func forwardedFor() {
        #expect(ForwardedHeader.forwardedFor(["203.0.113.7, 10.0.0.2", " 10.0.0.3 "]) == ["203.0.113.7", "10.0.0.2", "10.0.0.3"])
        let long = (1...100).map { "10.0.0.\($0)" }.joined(separator: ",")
        let hops = ForwardedHeader.forwardedFor([long])
        #expect(hops.count == ForwardedHeader.maximumHops)
        #expect(hops.last == "10.0.0.100")
    }

    @Test("delimiters are ASCII bytes: a scalar that merges with the comma into one Character does not hide the hop a proxy appended")
    func delimitersAreBytes() throws {
        // U+0600 (a prepended scalar) and the "," after it form one Character. Found by
        // Fuzz/ForwardedHeader.swift's byte-level reference.
        let proxies = try #require(TrustedProxies(parsing: ["10.0.0.0/8"]))
        let proxy = try Self.address("10.0.0.5")
        let client = try Self.address("203.0.113.7")
        #expect(ForwardedHeader.forwardedFor(["6.6.6.6\u{600}, 203.0.113.7"]) == ["6.6.6.6\u{600}", "203.0.113.7"])
        #expect(proxies.clientAddress(peer: proxy, forwarded: [], forwardedFor: ["6.6.6.6\u{600}, 203.0.113.7"]) == client)
        #expect(ForwardedHeader.forNodes(["for=x\u{600}, for=203.0.113.7"]) == ["x\u{600}", "203.0.113.7"])
        #expect(proxies.clientAddress(peer: proxy, forwarded: ["for=x\u{600}, for=203.0.113.7"], forwardedFor: []) == client)
        // A port is ASCII digits, not any Unicode number.
        #expect(ForwardedHeader.address(ofNode: "1.2.3.4:\u{663}") == nil)
        #expect(ForwardedHeader.address(ofNode: "[::1]:\u{BD}") == nil)
        #expect(ForwardedHeader.address(ofNode: "[::1]:80") == (try Self.address("::1")))
    }

    @Test("the client is the rightmost untrusted hop, and only a trusted peer's headers count")
    func clientAddress() throws {
        let proxies = try #require(TrustedProxies(parsing: ["127.0.0.1", "10.0.0.0/8", "fd00::/8"]))
        let proxy = try Self.address("10.0.0.5")
        let stranger = try Self.address("198.51.100.4")

        // An untrusted peer: its headers are ignored, whatever they claim.
        #expect(proxies.clientAddress(peer: stranger, forwarded: [], forwardedFor: ["1.1.1.1"]) == stranger)
        // A trusted proxy without headers: the proxy itself.
        #expect(proxies.clientAddress(peer: proxy, forwarded: [], forwardedFor: []) == proxy)
        // A client-supplied entry left of the real client is not believed.
        #expect(
            proxies.clientAddress(peer: proxy, forwarded: [], forwardedFor: ["6.6.6.6, 203.0.113.7, 10.0.0.9"])
                == (try Self.address("203.0.113.7")))
        // Every hop trusted: the leftmost.
        #expect(
            proxies.clientAddress(peer: proxy, forwarded: [], forwardedFor: ["10.1.1.1, 10.2.2.2"])
                == (try Self.address("10.1.1.1")))
        // Forwarded wins over X-Forwarded-For.
        #expect(
            proxies.clientAddress(peer: proxy, forwarded: [#"for="[2001:db8::9]:1234";proto=https"#], forwardedFor: ["6.6.6.6"])
                == (try Self.address("2001:db8::9")))
        // An entry that is not an address stops the walk at the last trusted hop.
        #expect(
            proxies.clientAddress(peer: proxy, forwarded: ["for=203.0.113.7, for=_hidden, for=10.0.0.8"], forwardedFor: [])
                == (try Self.address("10.0.0.8")))
        #expect(proxies.clientAddress(peer: proxy, forwarded: [], forwardedFor: ["garbage"]) == proxy)
        // No trusted proxies at all: the peer, always.
        #expect(TrustedProxies().clientAddress(peer: proxy, forwarded: [], forwardedFor: ["203.0.113.7"]) == proxy)
        #expect(TrustedProxies(parsing: ["10.0.0.0/8", "nonsense"]) == nil)
    }
}
