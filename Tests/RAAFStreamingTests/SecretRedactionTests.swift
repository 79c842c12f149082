import Logging
import StreamingApplication
import StreamingDomain
import Testing

@testable import RAAFStreaming

@Suite("Secrets stay out of descriptions, errors and logs")
struct SecretRedactionTests {
    static let key = "sk-live-7f3a9c1e5b"

    var config: StreamingConfiguration {
        var config = StreamingConfiguration()
        config.provider.apiKey = Self.key
        config.background.redisURL = "redis://worker:s3cr3t-pw@cache:6379/0"
        return config
    }

    @Test func descriptionRedactsKeyAndRedisPassword() {
        for text in [
            String(describing: config), String(reflecting: config), "\(config.provider)", "\(config.background)",
        ] {
            #expect(!text.contains(Self.key))
            #expect(!text.contains("s3cr3t-pw"))
            #expect(text.contains("[redacted]"))
        }
        #expect(String(describing: config).contains("redis://worker:[redacted]@cache:6379/0"))
        #expect(String(describing: config).contains("gpt-4o"))
    }

    @Test func dumpRedactsToo() {
        var dumped = ""
        dump(config, to: &dumped)
        #expect(!dumped.contains(Self.key))
        #expect(!dumped.contains("s3cr3t-pw"))
    }

    @Test func descriptionWithoutSecretsSaysNil() {
        #expect(String(describing: StreamingConfiguration().provider).contains("apiKey: nil"))
    }

    @Test func configurationErrorsNeverCarryTheKey() throws {
        var config = try StreamingConfiguration().applyingEnvironment(["OPENAI_API_KEY": Self.key])
        config.provider.baseURL = "ftp://\(Self.key)"
        let error = try #require(configurationError { try config.validate() })
        #expect(error.variable == "provider.base_url")
        #expect(!error.reason.contains(Self.key))

        let envError = try #require(
            configurationError {
                _ = try StreamingConfiguration().applyingEnvironment([
                    "OPENAI_API_KEY": Self.key, "OPENAI_BASE_URL": Self.key,
                ])
            })
        #expect(envError.variable == "OPENAI_BASE_URL")
        #expect(!envError.reason.contains(Self.key))
        #expect(
            !String(describing: StreamingError.configuration(variable: envError.variable, reason: envError.reason))
                .contains(Self.key))
    }

    @Test func maskedURLs() {
        #expect(URLCredentials.masked("redis://:pw12345@host:6379") == "redis://:[redacted]@host:6379")
        #expect(URLCredentials.masked("redis://user@host") == "redis://user@host")
        #expect(URLCredentials.masked("redis://host:6379/0") == "redis://host:6379/0")
        #expect(URLCredentials.masked("redis://u:p@ss@host/x@y") == "redis://u:[redacted]@host/x@y")
        #expect(URLCredentials.password(in: "rediss://u:p@ss@host") == "p@ss")
        #expect(URLCredentials.password(in: "redis://host") == nil)
    }

    @Test func redactorMasksSecretsAndSensitiveKeys() {
        let redactor = SecretRedactor(configuration: config)
        #expect(redactor.secrets.contains(Self.key))
        #expect(redactor.secrets.contains("s3cr3t-pw"))
        #expect(redactor.redact("calling with \(Self.key) now") == "calling with [redacted] now")
        let metadata = redactor.redact([
            "api_key": "anything",
            "Authorization": "Bearer xyz",
            "refreshToken": .stringConvertible(42),
            "note": "uses \(Self.key)",
            "nested": ["inner": "\(Self.key)", "password": "pw"],
            "list": ["a", "\(Self.key)"],
            "topic": "user.created",
        ])
        #expect(metadata["api_key"] == "[redacted]")
        #expect(metadata["Authorization"] == "[redacted]")
        #expect(metadata["refreshToken"] == "[redacted]")
        #expect(metadata["note"] == "uses [redacted]")
        #expect(metadata["nested"] == ["inner": "[redacted]", "password": "[redacted]"])
        #expect(metadata["list"] == ["a", "[redacted]"])
        #expect(metadata["topic"] == "user.created")
    }

    @Test func shortSecretsAreIgnored() {
        let redactor = SecretRedactor(secrets: ["abc", "", "abcd"])
        #expect(redactor.secrets == ["abcd"])
        #expect(redactor.redact("abc abcd") == "abc [redacted]")
    }

    @Test func longerSecretIsMaskedWhole() {
        let redactor = SecretRedactor(secrets: ["token", "token-extended"])
        #expect(redactor.redact("x token-extended y") == "x [redacted] y")
    }

    @Test(arguments: ["text", "json"])
    func neitherHandlerWritesTheKey(_ format: String) {
        let lines = CapturedLines()
        let settings = LoggingSettings(level: .info, format: LogFormat(rawValue: format)!)
        let factory = StreamingLogging.makeHandlerFactory(
            settings, redactor: SecretRedactor(configuration: config), sink: lines.sink)
        let logger = Logger(label: LogLabel.streaming, factory: factory)
        logger.info(
            "connecting with \(Self.key)",
            metadata: ["api_key": "\(Self.key)", "url": "\(config.background.redisURL!)"])
        logger.error("failed", error: StreamingError.provider(status: 401, message: "bad key \(Self.key)"))

        let written = lines.all
        #expect(written.count == 2)
        for line in written {
            #expect(!line.contains(Self.key))
            #expect(!line.contains("s3cr3t-pw"))
            #expect(line.contains("[redacted]"))
        }
    }
}
