/// permessage-deflate (RFC 7692) as this server speaks it.
///
/// The server always negotiates `server_no_context_takeover` and `client_no_context_takeover`:
/// each message is compressed on its own, so one zlib stream per event loop (and window size)
/// serves every connection on it. Keeping a context per connection would cost about 300 KB of
/// zlib state for each client, against a budget of a few kilobytes per idle connection.
enum PerMessageDeflate {
    /// What one connection negotiated.
    struct Parameters: Sendable, Hashable {
        /// The base-2 logarithm of the window this server compresses with (9 to 15).
        var serverMaxWindowBits: Int = 15

        /// The `Sec-WebSocket-Extensions` response header value.
        var responseHeader: String {
            var header = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
            if serverMaxWindowBits < 15 { header += "; server_max_window_bits=\(serverMaxWindowBits)" }
            return header
        }
    }

    /// The parameters for the first of the client's `Sec-WebSocket-Extensions` offers this
    /// server accepts, or `nil` when it accepts none (the connection is then uncompressed).
    ///
    /// An offer is declined, as RFC 7692 section 7 requires, when it has an unknown parameter,
    /// a parameter twice, or a value that is not allowed. `server_max_window_bits=8` is
    /// declined too: zlib's raw deflate cannot compress with a 256-byte window.
    static func negotiate(offers headerValues: [String]) -> Parameters? {
        for offer in headerValues.flatMap({ $0.split(separator: ",") }) {
            if let parameters = accept(offer) { return parameters }
        }
        return nil
    }

    private static func accept(_ offer: Substring) -> Parameters? {
        let elements = offer.split(separator: ";", omittingEmptySubsequences: false).map { trimmed($0) }
        guard elements.first == "permessage-deflate" else { return nil }
        var parameters = Parameters()
        var seen: Set<String> = []
        for element in elements.dropFirst() {
            let parts = element.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { trimmed($0) }
            let name = parts[0]
            let value = parts.count == 2 ? parts[1] : nil
            guard seen.insert(name).inserted else { return nil }
            switch name {
            case "client_no_context_takeover", "server_no_context_takeover":
                guard value == nil else { return nil }
            case "client_max_window_bits":
                // Optional value: the client can compress with a smaller window. Any window
                // inflates with the 32 KiB one, so the answer does not mention it.
                if let value { guard windowBits(value) != nil else { return nil } }
            case "server_max_window_bits":
                guard let value, let bits = windowBits(value), bits >= 9 else { return nil }
                parameters.serverMaxWindowBits = bits
            default:
                return nil
            }
        }
        return parameters
    }

    /// A window size value: 8 to 15, digits only (RFC 7692 7.1.2).
    private static func windowBits(_ value: String) -> Int? {
        guard !value.isEmpty, value.utf8.count <= 2, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let bits = Int(value), (8...15).contains(bits)
        else { return nil }
        return bits
    }

    /// Trims blanks, and the quotes a quoted-string value may have.
    private static func trimmed(_ text: some StringProtocol) -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\"" }
        return String(text.drop(while: isBlank).reversed().drop(while: isBlank).reversed())
    }

    /// The four bytes a sync flush ends with; removed on send and restored on receive (RFC 7692 7.2.1).
    static let syncFlushTail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]
}
