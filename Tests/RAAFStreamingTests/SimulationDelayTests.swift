import Testing

@testable import RAAFStreaming

/// `RAAF_SIMULATION_DELAY_MS` and the pace of what a person watches.
@Suite("The simulation delay")
struct SimulationDelayTests {
    @Test("RAAF_SIMULATION_DELAY_MS sets provider.simulationDelay in milliseconds; 0 is no pause")
    func fromEnvironment() throws {
        let paced = try StreamingConfiguration().applyingEnvironment(["RAAF_SIMULATION_DELAY_MS": "250"])
        #expect(paced.provider.simulationDelay == .milliseconds(250))
        try paced.validate()
        var slow = StreamingConfiguration()
        slow.provider.simulationDelay = .milliseconds(40)
        #expect(try slow.applyingEnvironment(["RAAF_SIMULATION_DELAY_MS": " 0 "]).provider.simulationDelay == .zero)
        #expect(try slow.applyingEnvironment(["RAAF_SIMULATION_DELAY_MS": "60000"]).provider.simulationDelay == .seconds(60))
    }

    @Test(
        "a value that is not a whole number of milliseconds from 0 to 60000 names the variable",
        arguments: ["-1", "abc", "1.5", "60001", "30ms", "99999999999999999999"])
    func invalid(_ value: String) throws {
        let error = try #require(
            configurationError { _ = try StreamingConfiguration().applyingEnvironment(["RAAF_SIMULATION_DELAY_MS": value]) })
        #expect(error.variable == "RAAF_SIMULATION_DELAY_MS")
        #expect(error.reason.hasPrefix("expected an integer from 0 to 60000, got \""))
    }

    @Test("the library's default is instant: the offline model is not slowed")
    func libraryDefaultIsInstant() throws {
        let system = try Streaming.configure(environment: [:])
        #expect(system.configuration.provider.simulationDelay == .zero)
        #expect(system.provider is ScriptedModelProvider)
    }

    @Test("a delay slows the configured model and a provider passed in code alike")
    func delayWrapsEveryProvider() throws {
        let configured = try Streaming.configure(environment: ["RAAF_SIMULATION_DELAY_MS": "15"])
        let wrapped = try #require(configured.provider as? SimulatedProvider)
        #expect(wrapped.delay == .milliseconds(15))
        #expect(wrapped.base is ScriptedModelProvider)

        let passed = try Streaming.configure(environment: [:], provider: ScriptedModelProvider()) {
            $0.provider.simulationDelay = .milliseconds(5)
        }
        #expect((passed.provider as? SimulatedProvider)?.delay == .milliseconds(5))
        let instant = try Streaming.configure(environment: [:], provider: ScriptedModelProvider())
        #expect(instant.provider is ScriptedModelProvider)
    }

    @Test("paceForPeople: the offline model at 30 ms a token unless RAAF_SIMULATION_DELAY_MS says otherwise")
    func paceForPeople() throws {
        #expect(ProviderSettings.watchedSimulationDelay == .milliseconds(30))
        func paced(_ environment: [String: String], remote: Bool = false) throws -> Duration {
            var config = StreamingConfiguration()
            if remote { config.provider.apiKey = "sk-test" }
            try config.paceForPeople(environment: environment)
            return config.provider.simulationDelay
        }
        #expect(try paced([:]) == .milliseconds(30))
        #expect(try paced(["RAAF_SIMULATION_DELAY_MS": ""]) == .milliseconds(30))
        #expect(try paced(["RAAF_SIMULATION_DELAY_MS": "0"]) == .zero)
        #expect(try paced(["RAAF_SIMULATION_DELAY_MS": "120"]) == .milliseconds(120))
        // A remote model streams at its own pace, unless the variable asks for a pause.
        #expect(try paced([:], remote: true) == .zero)
        #expect(try paced(["RAAF_SIMULATION_DELAY_MS": "50"], remote: true) == .milliseconds(50))
        let error = configurationError { _ = try paced(["RAAF_SIMULATION_DELAY_MS": "fast"]) }
        #expect(error?.variable == "RAAF_SIMULATION_DELAY_MS")
    }
}

/// The start-up warning of a server that anyone who reaches it can use.
@Suite("The exposure warning")
struct ExposureWarningTests {
    static func remote(key: String? = "sk-test-DO-NOT-LEAK-42") -> StreamingConfiguration {
        var config = StreamingConfiguration()
        config.provider.apiKey = key
        config.provider.baseURL = "http://user:hunter2@127.0.0.1:9/v1"
        return config
    }

    @Test(
        "loopback addresses only: localhost, 127.0.0.0/8, ::1",
        arguments: [
            ("127.0.0.1", true), ("127.8.9.10", true), ("localhost", true), ("LOCALHOST", true), ("::1", true),
            ("[::1]", true), ("0.0.0.0", false), ("::", false), ("192.168.1.20", false), ("10.0.0.1", false),
            ("example.com", false), ("127.0.0.1.nip.io", false), ("1270.0.0.1", false), ("", false),
        ])
    func loopback(_ host: String, _ expected: Bool) {
        #expect(ExposureWarning.isLoopback(host) == expected)
    }

    @Test("0.0.0.0, a remote model with a key, no authentication: one line that says what and how")
    func warns() throws {
        let warning = try #require(ExposureWarning(host: "0.0.0.0", configuration: Self.remote(), authenticates: false))
        let line = warning.message(port: 8080)
        #expect(!line.contains("\n"))
        #expect(line.hasPrefix("listening on 0.0.0.0:8080, reachable from other machines, with authentication off"))
        #expect(line.contains("run agents on the model server at http://user:[redacted]@127.0.0.1:9/v1"))
        #expect(line.contains("spending its API key (OPENAI_API_KEY)"))
        #expect(line.contains("WEBSOCKET_AUTH_TOKENS"))
        #expect(line.contains("token verifier in code"))
        #expect(!line.contains("sk-test-DO-NOT-LEAK-42"))
        #expect(!line.contains("hunter2"))
    }

    @Test("a base URL without a key is exposed too, without the words about a key")
    func baseURLWithoutKey() throws {
        let warning = try #require(ExposureWarning(host: "::", configuration: Self.remote(key: nil), authenticates: false))
        #expect(!warning.message(port: nil).contains("API key"))
    }

    @Test("no warning on loopback, with authentication on, or on the offline model")
    func silent() {
        #expect(ExposureWarning(host: "127.0.0.1", configuration: Self.remote(), authenticates: false) == nil)
        #expect(ExposureWarning(host: "localhost", configuration: Self.remote(), authenticates: false) == nil)
        #expect(ExposureWarning(host: "0.0.0.0", configuration: Self.remote(), authenticates: true) == nil)
        #expect(ExposureWarning(host: "0.0.0.0", configuration: StreamingConfiguration(), authenticates: false) == nil)
    }

    @Test("a token verifier in code turns authentication on, as WEBSOCKET_AUTH_TOKENS does")
    func verifierInCode() throws {
        let system = try Streaming.configure(environment: [:])
        let open = try RealtimeServer(
            system: system, host: "0.0.0.0", port: 0, chatStore: InMemoryChatStore(), handlesSignals: false)
        #expect(!open.hub.requiresAuthentication)
        let guarded = try RealtimeServer(
            system: system, host: "0.0.0.0", port: 0, chatStore: InMemoryChatStore(), handlesSignals: false,
            authenticate: { $0 == "s3cret" ? "alice" : nil })
        #expect(guarded.hub.requiresAuthentication)
        #expect(guarded.hub.identity(forToken: "s3cret") == "alice")
        #expect(guarded.hub.identity(forToken: "other") == nil)
    }
}
