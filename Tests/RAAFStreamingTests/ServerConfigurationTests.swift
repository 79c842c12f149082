import Testing

@testable import RAAFStreaming

/// The settings of the real-time server: `websocket.*` transport limits and auth, `streaming.*` replay.
@Suite("Server configuration")
struct ServerConfigurationTests {
    static let token = "tok-SECRET-8f2a91"

    @Test func defaults() {
        let config = StreamingConfiguration()
        #expect(config.websocket.path == "/ws")
        #expect(config.websocket.maxMessageSize == 1_048_576)
        #expect(config.websocket.messagesPerMinute == 600)
        #expect(config.websocket.bufferSize == 262_144)
        #expect(config.websocket.allowedOrigins.isEmpty)
        #expect(config.websocket.authTokens.isEmpty)
        #expect(!config.websocket.requiresAuthentication)
        #expect(config.streaming.replayRetention == .seconds(300))
        #expect(config.streaming.replayBufferFrames == 10_000)
        #expect(config.streaming.maxRetainedStreams == 1_000)
        #expect(config.streaming.maxActiveStreams == 1_000)
        #expect(throws: Never.self) { try config.validate() }
    }

    @Test func environmentOverridesEveryServerSetting() throws {
        let config = try StreamingConfiguration().applyingEnvironment([
            "WEBSOCKET_PATH": "/realtime/ws",
            "WEBSOCKET_MAX_MESSAGE_SIZE": "4096",
            "WEBSOCKET_RATE_LIMIT": "60",
            "WEBSOCKET_BUFFER_SIZE": "65536",
            "WEBSOCKET_HEARTBEAT_INTERVAL": "2.5",
            "WEBSOCKET_ALLOWED_ORIGINS": " https://app.example.com, http://localhost:3000 ,,",
            "WEBSOCKET_AUTH_TOKENS": "\(Self.token)=alice, b64token===bob",
            "STREAMING_REPLAY_RETENTION": "30.5",
            "STREAMING_REPLAY_BUFFER_FRAMES": "500",
            "STREAMING_MAX_RETAINED_STREAMS": "0",
            "STREAMING_MAX_ACTIVE_STREAMS": "8",
        ])
        #expect(config.websocket.path == "/realtime/ws")
        #expect(config.websocket.maxMessageSize == 4096)
        #expect(config.websocket.messagesPerMinute == 60)
        #expect(config.websocket.bufferSize == 65536)
        #expect(config.websocket.heartbeatInterval == .milliseconds(2_500))
        #expect(config.websocket.allowedOrigins == ["https://app.example.com", "http://localhost:3000"])
        // Split at the last `=`: a token may end in base64 padding.
        #expect(config.websocket.authTokens == [Self.token: "alice", "b64token==": "bob"])
        #expect(config.streaming.replayRetention == .milliseconds(30_500))
        #expect(config.streaming.replayBufferFrames == 500)
        #expect(config.streaming.maxRetainedStreams == 0)
        #expect(config.streaming.maxActiveStreams == 8)
        try config.validate()
    }

    @Test(arguments: [
        ("WEBSOCKET_PATH", "ws"), ("WEBSOCKET_PATH", "/a b"), ("WEBSOCKET_PATH", "/ws?x=1"),
        ("WEBSOCKET_MAX_MESSAGE_SIZE", "0"), ("WEBSOCKET_RATE_LIMIT", "-5"), ("WEBSOCKET_BUFFER_SIZE", "big"),
        ("WEBSOCKET_ALLOWED_ORIGINS", "ftp://files.example.com"), ("WEBSOCKET_ALLOWED_ORIGINS", "https://a.com/path"),
        ("WEBSOCKET_ALLOWED_ORIGINS", "example.com"), ("STREAMING_REPLAY_RETENTION", "0"),
        ("STREAMING_REPLAY_BUFFER_FRAMES", "0"), ("STREAMING_MAX_RETAINED_STREAMS", "-1"),
        ("STREAMING_MAX_ACTIVE_STREAMS", "0"), ("WEBSOCKET_HEARTBEAT_INTERVAL", "0"),
        ("WEBSOCKET_HEARTBEAT_INTERVAL", "-1"), ("WEBSOCKET_HEARTBEAT_INTERVAL", "5s"),
    ])
    func invalidValuesNameTheirVariable(_ name: String, _ value: String) throws {
        let error = try #require(configurationError { _ = try StreamingConfiguration().applyingEnvironment([name: value]) })
        #expect(error.variable == name)
        #expect(error.reason.hasPrefix("expected "))
    }

    @Test(arguments: [
        ("\(token)", "pair 1 has no ="), ("alice-tok=alice,\(token)=", "pair 2 has no identity"),
        ("=\(token)", "pair 1 has no token"), ("\(token)=a,\(token)=b", "pair 2 repeats an earlier token"),
    ])
    func malformedTokensNeverShowATokenInTheError(_ value: String, _ problem: String) throws {
        let error = try #require(
            configurationError { _ = try StreamingConfiguration().applyingEnvironment(["WEBSOCKET_AUTH_TOKENS": value]) })
        #expect(error.variable == "WEBSOCKET_AUTH_TOKENS")
        #expect(error.reason == "expected token=identity pairs separated by commas; \(problem)")
        #expect(!error.reason.contains(Self.token))
    }

    @Test func validationNamesTheSetting() throws {
        func failure(_ change: (inout StreamingConfiguration) -> Void) -> String? {
            var config = StreamingConfiguration()
            change(&config)
            return configurationError { try config.validate() }?.variable
        }
        #expect(failure { $0.websocket.path = "" } == "websocket.path")
        #expect(failure { $0.websocket.maxMessageSize = 0 } == "websocket.max_message_size")
        #expect(failure { $0.websocket.messagesPerMinute = 0 } == "websocket.messages_per_minute")
        #expect(failure { $0.websocket.bufferSize = -1 } == "websocket.buffer_size")
        #expect(failure { $0.websocket.allowedOrigins = ["https://ok.com", "nope"] } == "websocket.allowed_origins")
        #expect(failure { $0.websocket.authTokens = ["": "alice"] } == "websocket.auth_tokens")
        #expect(failure { $0.websocket.authTokens = [Self.token: " "] } == "websocket.auth_tokens")
        #expect(failure { $0.streaming.replayRetention = .zero } == "streaming.replay_retention")
        #expect(failure { $0.streaming.replayBufferFrames = 0 } == "streaming.replay_buffer_frames")
        #expect(failure { $0.streaming.maxRetainedStreams = -1 } == "streaming.max_retained_streams")
        #expect(failure { $0.streaming.maxActiveStreams = 0 } == "streaming.max_active_streams")
    }

    @Test func tokensAreMaskedInDescriptionsDumpsAndLogs() {
        var config = StreamingConfiguration()
        config.websocket.authTokens = [Self.token: "alice"]
        var dumped = ""
        dump(config, to: &dumped)
        for text in [String(describing: config), String(reflecting: config), "\(config.websocket)", dumped] {
            #expect(!text.contains(Self.token))
            #expect(text.contains("alice"))
        }
        #expect("\(config.websocket)".contains("authTokens: [[redacted]: \"alice\"]"))
        #expect(StreamingConfiguration.EnvironmentVariable.websocketAuthTokens.isSecret)
        let redactor = SecretRedactor(configuration: config)
        #expect(redactor.redact("token \(Self.token) used") == "token [redacted] used")
    }

    @Test func theServerIsWiredFromTheSettings() {
        var websocket = WebSocketSettings()
        websocket.maxConnections = 7
        websocket.maxMessageSize = 2048
        websocket.messagesPerMinute = 30
        websocket.heartbeatInterval = .seconds(5)
        let options = RealtimeServer.hubOptions(websocket)
        #expect(options.maxConnections == 7)
        #expect(options.maxMessageSize == 2048)
        #expect(options.messagesPerMinute == 30)
        #expect(options.heartbeatInterval == .seconds(5))

        #expect(RealtimeServer.tokenVerifier([:]) == nil)
        let verify = RealtimeServer.tokenVerifier([Self.token: "alice"])
        #expect(verify?(Self.token) == "alice")
        #expect(verify?("other") == nil)
    }

    @Test func theStreamServiceTakesTheReplayLimits() throws {
        let system = try Streaming.configure(environment: [:]) { config in
            config.streaming.replayBufferFrames = 12
            config.streaming.replayRetention = .seconds(9)
            config.streaming.maxRetainedStreams = 3
            config.streaming.maxActiveStreams = 2
        }
        let options = RealtimeServer.makeStreamService(system).options
        #expect(options == AgentStreamOptions(maxReplayFrames: 12, retention: .seconds(9), maxRetainedStreams: 3, maxActiveStreams: 2))
    }
}

extension ServerConfigurationTests {
    @Test func theWebSocketEndpointTakesTheTransportSettings() {
        var websocket = WebSocketSettings()
        websocket.path = "/live"
        websocket.bufferSize = 4096
        websocket.enableCompression = false
        websocket.maxMessageSize = 9000
        websocket.allowedOrigins = ["https://a.example", "https://b.example"]
        let options = RealtimeServer.webSocketOptions(websocket)
        #expect(options.path == "/live")
        #expect(options.bufferSize == 4096)
        #expect(!options.enableCompression)
        #expect(options.maxDecompressedMessageSize == 9000)
        #expect(options.allowedOrigins == ["https://a.example", "https://b.example"])
    }
}
