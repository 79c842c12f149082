import Testing

@testable import RAAFStreaming

@Suite("Configuration validation")
struct ConfigurationValidationTests {
    func failure(_ change: (inout StreamingConfiguration) -> Void) -> (variable: String, reason: String)? {
        var config = StreamingConfiguration()
        change(&config)
        return configurationError { try config.validate() }
    }

    @Test func negativePoolSizeSetInCode() throws {
        let error = try #require(failure { $0.async.poolSize = -1 })
        #expect(error.variable == "async.pool_size")
        #expect(error.reason == "expected an integer of at least 1, got -1")
    }

    @Test func portSetInCode() throws {
        let error = try #require(failure { $0.websocket.port = 70000 })
        #expect(error.variable == "websocket.port")
        #expect(error.reason == "expected an integer from 1 to 65535, got 70000")
    }

    @Test func invalidValueFromCodeAfterValidEnvironment() throws {
        var config = try StreamingConfiguration().applyingEnvironment(["STREAMING_CHUNK_SIZE": "64"])
        config.streaming.chunkSize = 0
        let error = try #require(configurationError { try config.validate() })
        #expect(error.variable == "streaming.chunk_size")
    }

    /// Sets `setting` to a value out of its range.
    static func breakSetting(_ setting: String, _ c: inout StreamingConfiguration) {
        switch setting {
        case "websocket.host": c.websocket.host = ""
        case "websocket.max_connections": c.websocket.maxConnections = 0
        case "websocket.heartbeat_interval": c.websocket.heartbeatInterval = .zero
        case "streaming.buffer_size": c.streaming.bufferSize = 0
        case "streaming.timeout": c.streaming.timeout = .seconds(-1)
        case "streaming.chunk_delay": c.streaming.chunkDelay = .milliseconds(-1)
        case "streaming.max_turns": c.streaming.maxTurns = 0
        case "async.queue_size": c.async.queueSize = -1
        case "async.thread_timeout": c.async.threadTimeout = .zero
        case "background.redis_url": c.background.redisURL = "localhost:6379"
        case "background.workers": c.background.workers = 0
        case "background.retry_count": c.background.retryCount = -1
        case "background.retry_delay": c.background.retryDelay = .seconds(-5)
        case "events.max_listeners": c.events.maxListeners = 0
        case "events.history_size": c.events.historySize = -1
        case "chat.max_rooms": c.chat.maxRooms = 0
        case "chat.max_participants_per_room": c.chat.maxParticipantsPerRoom = 0
        case "chat.message_history_size": c.chat.messageHistorySize = -1
        case "provider.base_url": c.provider.baseURL = "ftp://x"
        case "provider.api_key": c.provider.apiKey = ""
        case "provider.model": c.provider.model = " "
        case "provider.simulation_delay": c.provider.simulationDelay = .seconds(-1)
        case "provider.max_connections": c.provider.maxConnections = 0
        case "provider.queue_timeout": c.provider.queueTimeout = .zero
        case "provider.connect_timeout": c.provider.connectTimeout = .seconds(-1)
        default: Issue.record("no way to break \(setting)")
        }
    }

    @Test(arguments: [
        "websocket.host", "websocket.max_connections", "websocket.heartbeat_interval",
        "streaming.buffer_size", "streaming.timeout", "streaming.chunk_delay", "streaming.max_turns",
        "async.queue_size", "async.thread_timeout",
        "background.redis_url", "background.workers", "background.retry_count", "background.retry_delay",
        "events.max_listeners", "events.history_size",
        "chat.max_rooms", "chat.max_participants_per_room", "chat.message_history_size",
        "provider.base_url", "provider.api_key", "provider.model", "provider.simulation_delay",
        "provider.max_connections", "provider.queue_timeout", "provider.connect_timeout",
    ])
    func eachSettingIsChecked(_ setting: String) throws {
        let error = try #require(failure { Self.breakSetting(setting, &$0) })
        #expect(error.variable == setting)
        #expect(error.reason.hasPrefix("expected "))
    }

    @Test func boundaryValuesAreAccepted() throws {
        var config = StreamingConfiguration()
        config.websocket.port = 65535
        config.async.queueSize = 0
        config.background.retryCount = 0
        config.background.retryDelay = .zero
        config.events.historySize = 0
        config.background.redisURL = "rediss://:pw@cache:6380"
        config.provider.baseURL = "HTTPS://api.example.com/v1"
        config.provider.maxConnections = 1
        config.provider.queueTimeout = .milliseconds(1)
        config.provider.connectTimeout = .milliseconds(1)
        try config.validate()
    }
}

@Suite("Configuration: agents")
struct AgentConfigurationTests {
    @Test("a handoff to an agent that is not configured is refused at configure time, naming both")
    func unknownHandoffTarget() throws {
        let triage = Agent(name: "triage", handoffs: [Agent(name: "refunds")])
        let error = try #require(
            configurationError {
                _ = try Streaming.configure(environment: [:]) { $0.agents = [triage, Agent(name: "billing")] }
            })
        #expect(error.variable == "agents")
        #expect(error.reason == #"agent "triage" hands off to "refunds", which is not one of the agents (billing, triage)"#)
    }

    @Test("two agents with one name are refused")
    func duplicateNames() throws {
        let error = try #require(
            configurationError {
                _ = try Streaming.configure(environment: [:]) { $0.agents = [Agent(name: "a"), Agent(name: "a")] }
            })
        #expect(error.reason == #"expected unique agent names, got "a" twice"#)
    }

    @Test("configured agents replace the demo agents; handoffs resolve to the registered agent by name")
    func resolvedHandoffs() async throws {
        struct Query: Decodable, Sendable { var query: String }
        let tool = Tool(name: "probe", description: "", parameters: ["type": "object"]) { (_: Query) async throws -> String in
            "probed"
        }
        // billing hands back to triage and triage to billing: a cycle, by name.
        let triage = Agent(name: "triage", handoffs: [Agent(name: "billing")])
        let billing = Agent(name: "billing", tools: [tool], handoffs: [Agent(name: "triage")])
        let system = try Streaming.configure(environment: [:], provider: ScriptedModelProvider()) {
            $0.agents = [triage, billing]
        }
        #expect(system.agents.keys.sorted() == ["billing", "triage"])
        let result = try await system.runner.run(triage, "transfer me to billing")
        #expect(result.lastAgent.name == "billing")
        #expect(result.lastAgent.tools.map(\.name) == ["probe"])  // the registered one, not the placeholder
        // The registered billing agent (with its tool) speaks after the handoff.
        var outputs: [String] = []
        for try await event in system.runner.stream(billing, "probe now") {
            if case .toolOutput(let output) = event.kind { outputs.append(output.output) }
        }
        #expect(outputs == ["probed"])
    }
}
