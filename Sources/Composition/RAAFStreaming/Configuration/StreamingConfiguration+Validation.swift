import StreamingApplication
import StreamingDomain

extension StreamingConfiguration {
    /// Checks that every value is in its range.
    ///
    /// Call it after the environment and code have set their values. Each problem is named by
    /// its setting as the Ruby gem spells it, section and key in snake case: `websocket.port`,
    /// `async.pool_size`, `streaming.chunk_size`.
    ///
    /// - Throws: ``StreamingError/configuration(variable:reason:)`` for the first value out of
    ///   range, with a reason that says what the setting accepts. The API key, the Redis
    ///   password and the WebSocket auth tokens are never part of the reason.
    public func validate() throws {
        var check = SettingChecker()

        check.integer("websocket.port", websocket.port, .port)
        check.text("websocket.host", websocket.host)
        check.integer("websocket.max_connections", websocket.maxConnections, .positive)
        check.duration("websocket.heartbeat_interval", websocket.heartbeatInterval, .positive)
        if WebSocketRules.path(websocket.path) == nil {
            check.fail("websocket.path", "expected \(WebSocketRules.pathExpectation), got \(EnvironmentValue.quoted(websocket.path))")
        }
        check.integer("websocket.max_message_size", websocket.maxMessageSize, .positive)
        check.integer("websocket.messages_per_minute", websocket.messagesPerMinute, .positive)
        check.integer("websocket.buffer_size", websocket.bufferSize, .positive)
        if let origin = websocket.allowedOrigins.first(where: { !WebSocketRules.isOrigin($0) }) {
            check.fail(
                "websocket.allowed_origins",
                "expected \(WebSocketRules.originsExpectation), got \(EnvironmentValue.quoted(origin))")
        }
        if let problem = WebSocketRules.tokenProblem(websocket.authTokens) {
            check.fail("websocket.auth_tokens", problem)
        }

        check.integer("streaming.chunk_size", streaming.chunkSize, .positive)
        check.integer("streaming.buffer_size", streaming.bufferSize, .positive)
        check.duration("streaming.timeout", streaming.timeout, .positive)
        check.duration("streaming.chunk_delay", streaming.chunkDelay, .nonNegative)
        check.duration("streaming.coalesce_interval", streaming.coalesceInterval, .nonNegative)
        check.integer("streaming.max_turns", streaming.maxTurns, .positive)
        check.duration("streaming.replay_retention", streaming.replayRetention, .positive)
        check.integer("streaming.replay_buffer_frames", streaming.replayBufferFrames, .positive)
        check.integer("streaming.max_retained_streams", streaming.maxRetainedStreams, .nonNegative)
        check.integer("streaming.max_active_streams", streaming.maxActiveStreams, .positive)

        check.duration("streaming.sse_keepalive", streaming.sseKeepalive, .positive)

        check.duration("server.shutdown_grace", server.shutdownGrace, .nonNegative)
        if let token = server.adminToken, token.isEmpty || token.contains(where: \.isWhitespace) {
            check.fail("server.admin_token", "expected a token without spaces, or nil for open /stats and /metrics")
        }
        if let port = server.adminPort {
            check.integer("server.admin_port", port, .port)
            if port == websocket.port { check.fail("server.admin_port", "expected a port other than websocket.port (\(port))") }
        }
        if let entry = server.trustedProxies.first(where: { ProxyRules.entries($0) == nil }) {
            check.fail("server.trusted_proxies", "expected \(ProxyRules.expectation), got \(EnvironmentValue.quoted(entry))")
        }
        check.integer("async.pool_size", async.poolSize, .positive)
        check.integer("async.queue_size", async.queueSize, .nonNegative)
        check.duration("async.thread_timeout", async.threadTimeout, .positive)

        check.url("background.redis_url", background.redisURL, schemes: ["redis", "rediss"])
        check.text("background.sqlite_path", background.sqlitePath)
        check.integer("background.workers", background.workers, .positive)
        check.integer("background.retry_count", background.retryCount, .nonNegative)
        check.duration("background.retry_delay", background.retryDelay, .nonNegative)
        if !QueueName.isValid(background.queueName) {
            check.fail("background.queue_name", "expected 1 to 64 letters, digits or _, got \"\(background.queueName)\"")
        }
        if let secret = background.callbackSecret, secret.allSatisfy(\.isWhitespace) {
            check.fail("background.callback_secret", "expected a non-empty secret, or nil for unsigned callbacks")
        }
        check.duration("background.callback_timeout", background.callbackTimeout, .positive)
        check.integer("background.callback_attempts", background.callbackAttempts, .positive)

        check.integer("events.max_listeners", events.maxListeners, .positive)
        check.integer("events.history_size", events.historySize, .nonNegative)

        check.integer("chat.max_rooms", chat.maxRooms, .positive)
        check.integer("chat.max_participants_per_room", chat.maxParticipantsPerRoom, .positive)
        check.integer("chat.message_history_size", chat.messageHistorySize, .nonNegative)
        check.integer("chat.max_message_length", chat.maxMessageLength, .positive)
        check.integer("chat.rate_limit", chat.rateLimit, .positive)
        check.duration("chat.typing_timeout", chat.typingTimeout, .positive)
        switch chat.store {
        case .sqlite(let path): check.text("chat.store", path)
        case .redis where background.redisURL == nil:
            check.fail(
                "chat.store",
                "redis (CHAT_STORE=redis) keeps rooms on the server of REDIS_URL, and REDIS_URL (background.redis_url) "
                    + "is not set: set it, or choose memory or sqlite:PATH")
        default: break
        }

        check.url("provider.base_url", provider.baseURL, schemes: ["http", "https"])
        if let key = provider.apiKey, key.allSatisfy(\.isWhitespace) {
            check.fail("provider.api_key", "expected a non-empty API key, or nil for no key")
        }
        check.text("provider.model", provider.model)
        check.duration("provider.simulation_delay", provider.simulationDelay, .nonNegative)
        check.integer("provider.max_connections", provider.maxConnections, .positive)
        check.duration("provider.queue_timeout", provider.queueTimeout, .positive)
        check.duration("provider.connect_timeout", provider.connectTimeout, .positive)
        check.integer("provider.max_streams_per_connection", provider.maxStreamsPerConnection, .positive)
        if let caFile = provider.caFile { check.text("provider.ca_file", caFile) }

        if let problem = AgentRules.problem(agents) { check.fail("agents", problem) }

        if let problem = check.firstProblem { throw problem }
    }
}

/// The rules of `config.agents`: names present and unique, every handoff to a registered agent.
enum AgentRules {
    /// What is wrong with `agents`, or `nil`.
    static func problem(_ agents: [Agent]) -> String? {
        var names = Set<String>()
        for agent in agents {
            if agent.name.allSatisfy(\.isWhitespace) { return "expected every agent to have a name, got \"\(agent.name)\"" }
            if !names.insert(agent.name).inserted { return "expected unique agent names, got \"\(agent.name)\" twice" }
        }
        let known = names.sorted().joined(separator: ", ")
        for agent in agents {
            for target in agent.handoffs where !names.contains(target.name) {
                return "agent \"\(agent.name)\" hands off to \"\(target.name)\", which is not one of the agents (\(known))"
            }
        }
        return nil
    }
}

/// Collects the first out-of-range setting; later checks are skipped once one failed.
private struct SettingChecker {
    private(set) var firstProblem: StreamingError?

    mutating func fail(_ setting: String, _ reason: String) {
        if firstProblem == nil { firstProblem = .configuration(variable: setting, reason: reason) }
    }

    mutating func integer(_ setting: String, _ value: Int, _ rule: IntegerRule) {
        if !rule.accepts(value) { fail(setting, "expected \(rule.expectation), got \(value)") }
    }

    mutating func duration(_ setting: String, _ value: Duration, _ rule: DurationRule) {
        if !rule.accepts(value) { fail(setting, "expected \(rule.expectation), got \(value)") }
    }

    mutating func text(_ setting: String, _ value: String) {
        if value.allSatisfy(\.isWhitespace) { fail(setting, "expected a non-empty value, got \"\(value)\"") }
    }

    mutating func url(_ setting: String, _ value: String?, schemes: [String]) {
        guard let value, !URLCredentials.hasScheme(value, in: schemes) else { return }
        let expected = schemes.map { $0 + "://" }.joined(separator: " or ")
        fail(setting, "expected nil or a URL starting with \(expected), got \(EnvironmentValue.describeURL(value))")
    }
}
