/// The start-up warning of a server that anyone who reaches it can use: it listens beyond
/// loopback, authentication is off, and something worth guarding is behind it.
///
/// Each ``Exposure`` is one such thing with the setting that guards it; the warning is one log
/// line naming them all. Today there is one: the configured remote model, which any client can
/// make run agents (on its API key, when one is set), guarded by WebSocket authentication,
/// which also covers the HTTP stream routes and the chat rooms. When the administration
/// endpoints and their `ADMIN_TOKEN` arrive (issue 13), they become a second exposure in
/// ``exposures(of:authenticates:)``: "the admin endpoints …", guarded by "set ADMIN_TOKEN",
/// present while no admin token is configured.
struct ExposureWarning: Sendable, Equatable {
    /// Something any client can use, and how to guard it.
    struct Exposure: Sendable, Equatable {
        /// What a client that reaches the server can do.
        var what: String
        /// How to require authentication for it, as an imperative ("require … with …").
        var guardedBy: String
    }

    /// The address the server listens on, as given (`0.0.0.0`, `::`, a name).
    var host: String
    var exposures: [Exposure]

    /// The warning for a server on `host`, or `nil` when it is only reachable from this machine
    /// or exposes nothing.
    init?(host: String, configuration: StreamingConfiguration, authenticates: Bool) {
        guard !Self.isLoopback(host) else { return nil }
        let exposures = Self.exposures(of: configuration, authenticates: authenticates)
        guard !exposures.isEmpty else { return nil }
        self.host = host
        self.exposures = exposures
    }

    /// What a client could use on this server without authenticating.
    static func exposures(of configuration: StreamingConfiguration, authenticates: Bool) -> [Exposure] {
        var exposures: [Exposure] = []
        let provider = configuration.provider
        if provider.usesRemoteModel, !authenticates {
            let model = "the model server at \(URLCredentials.masked(provider.resolvedBaseURL))"
            exposures.append(
                Exposure(
                    what: "run agents on \(model)" + (provider.apiKey == nil ? "" : ", spending its API key (OPENAI_API_KEY)"),
                    guardedBy: "require authentication with "
                        + "\(StreamingConfiguration.EnvironmentVariable.websocketAuthTokens.name) (token=identity,…) "
                        + "or a token verifier in code"
                ))
        }
        // ADMIN_TOKEN (issue 13): append the admin endpoints here while no admin token is set.
        return exposures
    }

    /// The log line: where the server listens, what any client can do there, and how to stop it.
    func message(port: Int?) -> String {
        let address = port.map { "\(host):\($0)" } ?? host
        let what = exposures.map(\.what).joined(separator: "; ")
        let guards = exposures.map(\.guardedBy).joined(separator: "; ")
        return "listening on \(address), reachable from other machines, with authentication off: "
            + "any client that reaches it can \(what). To close it, \(guards), "
            + "or listen on 127.0.0.1 (--host, WEBSOCKET_HOST)"
    }

    /// Whether `host` is reachable from this machine only: `localhost`, an IPv4 address in
    /// 127.0.0.0/8, or the IPv6 loopback `::1`. Anything else (`0.0.0.0`, `::`, an interface's
    /// address, a host name) may be reachable from elsewhere.
    static func isLoopback(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if name == "localhost" || name == "::1" || name == "0:0:0:0:0:0:0:1" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) else { return false }
        return octets[0] == "127"
    }
}
