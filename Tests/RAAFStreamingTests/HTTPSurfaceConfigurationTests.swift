import RAAFStreaming
import Testing

/// The settings of issue 17: `STREAMING_SSE_KEEPALIVE`, `ADMIN_TOKEN`, `ADMIN_PORT`, `TRUSTED_PROXIES`.
@Suite("HTTP surface settings (keep-alive, admin token and port, trusted proxies)")
struct HTTPSurfaceConfigurationTests {
    static let token = "adm1n-t0ken-93af"

    @Test func defaults() {
        let config = StreamingConfiguration()
        #expect(config.streaming.sseKeepalive == .seconds(15))
        #expect(config.server.adminToken == nil)
        #expect(config.server.adminPort == nil)
        #expect(config.server.trustedProxies.isEmpty)
    }

    @Test func readsTheEnvironment() throws {
        let config = try StreamingConfiguration().applyingEnvironment([
            "STREAMING_SSE_KEEPALIVE": "2.5",
            "ADMIN_TOKEN": Self.token,
            "ADMIN_PORT": "9091",
            "TRUSTED_PROXIES": " 10.0.0.0/8, 127.0.0.1 ,, fd00::/8",
        ])
        #expect(config.streaming.sseKeepalive == .milliseconds(2500))
        #expect(config.server.adminToken == Self.token)
        #expect(config.server.adminPort == 9091)
        #expect(config.server.trustedProxies == ["10.0.0.0/8", "127.0.0.1", "fd00::/8"])
        try config.validate()
    }

    @Test(arguments: [
        ("STREAMING_SSE_KEEPALIVE", "0"), ("STREAMING_SSE_KEEPALIVE", "abc"), ("ADMIN_PORT", "70000"),
        ("TRUSTED_PROXIES", "10.0.0.0/33"), ("TRUSTED_PROXIES", "10.0.0.1, proxy.internal"),
    ])
    func refusesBadValues(_ variable: String, _ value: String) throws {
        let error = try #require(configurationError { _ = try StreamingConfiguration().applyingEnvironment([variable: value]) })
        #expect(error.variable == variable)
        #expect(error.reason.hasPrefix("expected"))
    }

    @Test func theAdminTokenIsASecret() throws {
        let error = try #require(configurationError {
            var config = StreamingConfiguration()
            config.server.adminToken = "has space \(Self.token)"
            try config.validate()
        })
        #expect(error.variable == "server.admin_token")
        #expect(!error.reason.contains(Self.token))

        var config = StreamingConfiguration()
        config.server.adminToken = Self.token
        var dumped = ""
        dump(config, to: &dumped)
        for text in [String(describing: config), String(reflecting: config), "\(config.server)", dumped] {
            #expect(!text.contains(Self.token), "\(text)")
        }
        #expect("\(config.server)".contains("adminToken: [redacted]"))
        #expect(StreamingConfiguration.EnvironmentVariable.adminToken.isSecret)
        #expect(SecretRedactor(configuration: config).redact("Bearer \(Self.token)") == "Bearer [redacted]")
    }

    @Test func validation() throws {
        func failure(_ change: (inout StreamingConfiguration) -> Void) -> String? {
            var config = StreamingConfiguration()
            change(&config)
            return configurationError { try config.validate() }?.variable
        }
        #expect(failure { $0.streaming.sseKeepalive = .zero } == "streaming.sse_keepalive")
        #expect(failure { $0.server.adminPort = 0 } == "server.admin_port")
        #expect(failure { $0.server.adminPort = $0.websocket.port } == "server.admin_port")
        #expect(failure { $0.server.trustedProxies = ["not-an-address"] } == "server.trusted_proxies")
        #expect(failure { $0.server.adminToken = "" } == "server.admin_token")
        var valid = StreamingConfiguration()
        valid.server.trustedProxies = ["::1", "192.168.0.0/16"]
        valid.server.adminPort = 9091
        try valid.validate()
    }
}
