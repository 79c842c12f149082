import Foundation
import StreamingDomain
import Testing

@testable import RAAFStreaming

@Suite("Configuration from the environment")
struct ConfigurationEnvironmentTests {
    @Test func everyVariableOverridesItsSetting() throws {
        let config = try StreamingConfiguration().applyingEnvironment([
            "REDIS_URL": "redis://127.0.0.1:6390/2",
            "WEBSOCKET_PORT": "9001",
            "WEBSOCKET_HOST": "127.0.0.1",
            "WEBSOCKET_MAX_CONNECTIONS": "12",
            "ASYNC_POOL_SIZE": "4",
            "ASYNC_QUEUE_SIZE": "0",
            "BACKGROUND_WORKERS": "2",
            "BACKGROUND_RETRY_COUNT": "0",
            "STREAMING_CHUNK_SIZE": "64",
            "STREAMING_BUFFER_SIZE": "128",
            "STREAMING_TIMEOUT": "2.5",
            "OPENAI_API_KEY": "sk-env-key-1234",
            "OPENAI_BASE_URL": "http://127.0.0.1:8000/v1",
            "RAAF_MODEL": "gpt-4o-mini",
            "RAAF_LOG_LEVEL": "DEBUG",
            "RAAF_LOG_FORMAT": "json",
            "RAAF_SIMULATION_DELAY_MS": "25",
        ])
        #expect(config.background.redisURL == "redis://127.0.0.1:6390/2")
        #expect(config.websocket.port == 9001)
        #expect(config.websocket.host == "127.0.0.1")
        #expect(config.websocket.maxConnections == 12)
        #expect(config.async.poolSize == 4)
        #expect(config.async.queueSize == 0)
        #expect(config.background.workers == 2)
        #expect(config.background.retryCount == 0)
        #expect(config.streaming.chunkSize == 64)
        #expect(config.streaming.bufferSize == 128)
        #expect(config.streaming.timeout == .milliseconds(2500))
        #expect(config.provider.apiKey == "sk-env-key-1234")
        #expect(config.provider.baseURL == "http://127.0.0.1:8000/v1")
        #expect(config.provider.model == "gpt-4o-mini")
        #expect(config.logging.level == .debug)
        #expect(config.logging.format == .json)
        #expect(config.provider.simulationDelay == .milliseconds(25))
        #expect(config.provider.usesRemoteModel)
        try config.validate()
    }

    @Test func untouchedSettingsKeepTheirDefaults() throws {
        let config = try StreamingConfiguration().applyingEnvironment(["WEBSOCKET_PORT": "9001"])
        var expected = StreamingConfiguration()
        expected.websocket.port = 9001
        #expect(config == expected)
    }

    @Test func integerTimeoutAndSecureRedis() throws {
        let config = try StreamingConfiguration().applyingEnvironment([
            "STREAMING_TIMEOUT": "90", "REDIS_URL": "rediss://cache.internal:6380",
        ])
        #expect(config.streaming.timeout == .seconds(90))
        #expect(config.background.redisURL == "rediss://cache.internal:6380")
    }

    @Test(arguments: StreamingConfiguration.EnvironmentVariable.allCases)
    func emptyVariableIsIgnored(_ variable: StreamingConfiguration.EnvironmentVariable) throws {
        #expect(try StreamingConfiguration().applyingEnvironment([variable.name: ""]) == StreamingConfiguration())
        #expect(try StreamingConfiguration().applyingEnvironment([variable.name: "  "]) == StreamingConfiguration())
    }

    @Test func surroundingWhitespaceIsTrimmed() throws {
        let config = try StreamingConfiguration().applyingEnvironment(["WEBSOCKET_PORT": " 9001\n"])
        #expect(config.websocket.port == 9001)
    }

    @Test func unrelatedVariablesAreIgnored() throws {
        let config = try StreamingConfiguration().applyingEnvironment(["PATH": "/usr/bin", "RAAF_NO_SUCH_SETTING": "x"])
        #expect(config == StreamingConfiguration())
    }

    @Test func codeOverridesEnvironment() throws {
        var config = try StreamingConfiguration().applyingEnvironment([
            "WEBSOCKET_PORT": "9001", "ASYNC_POOL_SIZE": "4",
        ])
        config.websocket.port = 7000
        try config.validate()
        #expect(config.websocket.port == 7000)
        #expect(config.async.poolSize == 4)
    }

    @Test func environmentOverridesEarlierValues() throws {
        var base = StreamingConfiguration()
        base.provider.model = "from-code"
        let config = try base.applyingEnvironment(["RAAF_MODEL": "from-env"])
        #expect(config.provider.model == "from-env")
    }

    @Test func modelConnectionLimits() throws {
        let config = try StreamingConfiguration().applyingEnvironment([
            "OPENAI_MAX_CONNECTIONS": "4", "OPENAI_QUEUE_TIMEOUT": "0.25", "OPENAI_CONNECT_TIMEOUT": "3",
        ])
        #expect(config.provider.maxConnections == 4)
        #expect(config.provider.queueTimeout == .milliseconds(250))
        #expect(config.provider.connectTimeout == .seconds(3))
        try config.validate()
        #expect(StreamingConfiguration.EnvironmentVariable.openAIMaxConnections.setting == "provider.max_connections")
        #expect(StreamingConfiguration.EnvironmentVariable.openAIQueueTimeout.setting == "provider.queue_timeout")
        #expect(StreamingConfiguration.EnvironmentVariable.openAIConnectTimeout.setting == "provider.connect_timeout")
    }

    @Test func modelServerTLSAndHTTP2() throws {
        let config = try StreamingConfiguration().applyingEnvironment([
            "OPENAI_BASE_URL": "https://127.0.0.1:8443/v1", "OPENAI_CA_FILE": "/etc/raaf/model-ca.pem",
            "OPENAI_MAX_STREAMS_PER_CONNECTION": "32",
        ])
        #expect(config.provider.caFile == "/etc/raaf/model-ca.pem")
        #expect(config.provider.maxStreamsPerConnection == 32)
        try config.validate()
        #expect(StreamingConfiguration().provider.caFile == nil)
        #expect(StreamingConfiguration().provider.maxStreamsPerConnection == 100)
        #expect(
            StreamingConfiguration.EnvironmentVariable.openAIMaxStreamsPerConnection.setting == "provider.max_streams_per_connection")
        #expect(StreamingConfiguration.EnvironmentVariable.openAICAFile.setting == "provider.ca_file")
    }

    @Test("OPENAI_CA_FILE that is not a PEM file of certificates fails at configure, not at every request")
    func unreadableCAFile() throws {
        let notPEM = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-ca-\(UUID().uuidString).pem")
        try Data("not a certificate".utf8).write(to: notPEM)
        defer { try? FileManager.default.removeItem(at: notPEM) }
        for path in [notPEM.path, "/nonexistent/ca.pem"] {
            #expect {
                _ = try Streaming.configure(environment: ["OPENAI_BASE_URL": "https://127.0.0.1:8443/v1", "OPENAI_CA_FILE": path])
            } throws: { error in
                guard case .configuration(let variable, let reason)? = error as? StreamingError else { return false }
                return variable == "provider.ca_file" && reason.contains(path)
            }
        }
    }

    @Test func everyVariableNamesTheSettingItOverrides() {
        let settings = StreamingConfiguration.EnvironmentVariable.allCases.map(\.setting)
        #expect(Set(settings).count == settings.count)
        #expect(StreamingConfiguration.EnvironmentVariable.asyncPoolSize.setting == "async.pool_size")
    }
}

@Suite("Invalid environment values")
struct InvalidEnvironmentTests {
    func failure(_ name: String, _ value: String) -> (variable: String, reason: String)? {
        configurationError { _ = try StreamingConfiguration().applyingEnvironment([name: value]) }
    }

    @Test func nonNumericPort() throws {
        let error = try #require(failure("WEBSOCKET_PORT", "abc"))
        #expect(error.variable == "WEBSOCKET_PORT")
        #expect(error.reason == "expected an integer from 1 to 65535, got \"abc\"")
    }

    @Test func portOutOfRange() throws {
        let error = try #require(failure("WEBSOCKET_PORT", "70000"))
        #expect(error.variable == "WEBSOCKET_PORT")
        #expect(error.reason == "expected an integer from 1 to 65535, got \"70000\"")
        #expect(failure("WEBSOCKET_PORT", "0")?.variable == "WEBSOCKET_PORT")
    }

    @Test func negativePoolSize() throws {
        let error = try #require(failure("ASYNC_POOL_SIZE", "-1"))
        #expect(error.variable == "ASYNC_POOL_SIZE")
        #expect(error.reason == "expected an integer of at least 1, got \"-1\"")
    }

    @Test func zeroTimeout() throws {
        let error = try #require(failure("STREAMING_TIMEOUT", "0"))
        #expect(error.variable == "STREAMING_TIMEOUT")
        #expect(error.reason.hasPrefix("expected a number of seconds greater than 0"))
        #expect(error.reason.hasSuffix("got \"0\""))
    }

    @Test(arguments: ["-5", "abc", "1e3", "2.", ".5", "0.0", "inf", "99999999999"])
    func malformedTimeout(_ value: String) {
        #expect(failure("STREAMING_TIMEOUT", value)?.variable == "STREAMING_TIMEOUT")
    }

    @Test(arguments: [
        ("OPENAI_MAX_CONNECTIONS", "0"), ("OPENAI_MAX_CONNECTIONS", "many"), ("OPENAI_QUEUE_TIMEOUT", "0"),
        ("OPENAI_QUEUE_TIMEOUT", "-1"), ("OPENAI_CONNECT_TIMEOUT", "soon"), ("OPENAI_CONNECT_TIMEOUT", "0.0"),
        ("OPENAI_MAX_STREAMS_PER_CONNECTION", "0"),
    ])
    func badModelConnectionLimit(_ name: String, _ value: String) throws {
        let error = try #require(failure(name, value))
        #expect(error.variable == name)
        #expect(error.reason.hasPrefix("expected "))
        #expect(error.reason.hasSuffix("got \"\(value)\""))
    }

    @Test func unknownLogLevel() throws {
        let error = try #require(failure("RAAF_LOG_LEVEL", "loud"))
        #expect(error.variable == "RAAF_LOG_LEVEL")
        #expect(error.reason.contains("trace, debug, info, notice, warning, error, critical"))
        #expect(error.reason.hasSuffix("got \"loud\""))
    }

    @Test func unknownLogFormat() throws {
        let error = try #require(failure("RAAF_LOG_FORMAT", "xml"))
        #expect(error.variable == "RAAF_LOG_FORMAT")
        #expect(error.reason == "expected text or json, got \"xml\"")
    }

    @Test func baseURLWithWrongScheme() throws {
        let error = try #require(failure("OPENAI_BASE_URL", "ftp://x"))
        #expect(error.variable == "OPENAI_BASE_URL")
        #expect(error.reason == "expected a URL starting with http:// or https://, got a URL with scheme \"ftp\"")
    }

    @Test func redisURLWithWrongScheme() throws {
        let error = try #require(failure("REDIS_URL", "http://user:hunter22@cache:6379"))
        #expect(error.variable == "REDIS_URL")
        #expect(error.reason.contains("redis:// or rediss://"))
        #expect(!error.reason.contains("hunter22"))
        #expect(failure("REDIS_URL", "localhost:6379")?.variable == "REDIS_URL")
        #expect(failure("REDIS_URL", "redis://")?.variable == "REDIS_URL")
    }

    @Test(arguments: [
        ("WEBSOCKET_MAX_CONNECTIONS", "0"), ("ASYNC_QUEUE_SIZE", "-1"), ("BACKGROUND_WORKERS", "0"),
        ("BACKGROUND_RETRY_COUNT", "-2"), ("STREAMING_CHUNK_SIZE", "0"), ("STREAMING_BUFFER_SIZE", "many"),
        ("ASYNC_POOL_SIZE", "1.5"), ("WEBSOCKET_PORT", "99999999999999999999999"),
    ])
    func otherInvalidIntegers(_ name: String, _ value: String) throws {
        let error = try #require(failure(name, value))
        #expect(error.variable == name)
        #expect(error.reason.hasPrefix("expected an integer"))
    }

    @Test func longValuesAreShortenedInTheReason() throws {
        let error = try #require(failure("WEBSOCKET_PORT", String(repeating: "9", count: 500)))
        #expect(error.reason.count < 120)
    }
}

@Suite("Shutdown grace (server.shutdown_grace, SHUTDOWN_GRACE)")
struct ShutdownGraceSettingTests {
    @Test func defaultsToKubernetesThirtySeconds() {
        #expect(StreamingConfiguration().server.shutdownGrace == .seconds(30))
    }

    @Test(arguments: [("45", Duration.seconds(45)), ("2.5", .milliseconds(2500)), ("0", .zero), ("0.0", .zero)])
    func readsSeconds(_ text: String, _ expected: Duration) throws {
        let config = try StreamingConfiguration().applyingEnvironment(["SHUTDOWN_GRACE": text])
        #expect(config.server.shutdownGrace == expected)
        try config.validate()
    }

    @Test(arguments: ["-1", "abc", "1s", ".5", "0.", "1e3"])
    func refusesWhatIsNotSeconds(_ text: String) throws {
        let error = try #require(configurationError {
            _ = try StreamingConfiguration().applyingEnvironment(["SHUTDOWN_GRACE": text])
        })
        #expect(error.variable == "SHUTDOWN_GRACE")
        #expect(error.reason.hasPrefix("expected a number of seconds from 0 to"))
    }

    @Test func validationRefusesANegativeGrace() throws {
        var config = StreamingConfiguration()
        config.server.shutdownGrace = .seconds(-1)
        let error = try #require(configurationError { try config.validate() })
        #expect(error.variable == "server.shutdown_grace")
        #expect(StreamingConfiguration.EnvironmentVariable.shutdownGrace.setting == "server.shutdown_grace")
    }
}
