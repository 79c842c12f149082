import StreamingDomain

extension StreamingConfiguration {
    /// Returns this configuration with the environment's values applied over it.
    ///
    /// Only the variables of ``EnvironmentVariable`` are read; a variable that is unset, empty
    /// or only whitespace leaves its setting alone, and surrounding whitespace is trimmed.
    ///
    /// - Parameter environment: Variables by name, such as `ProcessInfo.processInfo.environment`.
    /// - Throws: ``StreamingError/configuration(variable:reason:)`` naming the first variable whose
    ///   value is not acceptable, with a reason that says what it accepts. The value of
    ///   `OPENAI_API_KEY` is never part of an error, and a URL is described by its scheme only.
    public func applyingEnvironment(_ environment: [String: String]) throws -> StreamingConfiguration {
        var config = self
        let reader = EnvironmentReader(environment: environment)

        if let url = try reader.url(.redisURL, schemes: ["redis", "rediss"]) {
            config.background.redisURL = url
        }
        if let value = try reader.integer(.redisPoolSize, .positive) { config.background.redisPoolSize = value }
        if let node = try reader.parsed(.nodeID, ServerSettings.nodeIDExpectation, ServerSettings.nodeID) {
            config.server.nodeID = node
        }
        if let port = try reader.integer(.websocketPort, .port) { config.websocket.port = port }
        if let host = reader.text(.websocketHost) { config.websocket.host = host }
        if let value = try reader.integer(.websocketMaxConnections, .positive) {
            config.websocket.maxConnections = value
        }
        try applyWebSocket(reader, to: &config.websocket)
        try applyChat(reader, to: &config.chat)
        if let value = try reader.integer(.asyncPoolSize, .positive) { config.async.poolSize = value }
        if let value = try reader.integer(.asyncQueueSize, .nonNegative) { config.async.queueSize = value }
        if let value = try reader.integer(.backgroundWorkers, .positive) { config.background.workers = value }
        if let value = try reader.integer(.backgroundRetryCount, .nonNegative) {
            config.background.retryCount = value
        }
        if let name = reader.text(.backgroundQueueName) { config.background.queueName = name }
        if let secret = reader.text(.callbackSecret) { config.background.callbackSecret = secret }
        if let hosts = reader.text(.callbackAllowedHosts) {
            config.background.callbackAllowedHosts = hosts.split(separator: ",").map {
                $0.filter { !$0.isWhitespace }.lowercased()
            }.filter { !$0.isEmpty }
        }
        if let value = try reader.integer(.streamingChunkSize, .positive) { config.streaming.chunkSize = value }
        if let value = try reader.integer(.streamingBufferSize, .positive) { config.streaming.bufferSize = value }
        if let value = try reader.integer(.streamingCoalesceMS, .nonNegative) {
            config.streaming.coalesceInterval = .milliseconds(value)
        }
        if let timeout = try reader.parsed(
            .streamingTimeout, EnvironmentValue.timeoutExpectation, EnvironmentValue.positiveSeconds)
        {
            config.streaming.timeout = timeout
        }
        try applyReplay(reader, to: &config.streaming)
        if let key = reader.text(.openAIAPIKey) { config.provider.apiKey = key }
        if let url = try reader.url(.openAIBaseURL, schemes: ["http", "https"]) { config.provider.baseURL = url }
        if let model = reader.text(.model) { config.provider.model = model }
        if let delay = try reader.simulationDelay() { config.provider.simulationDelay = delay }
        try applyProviderLimits(reader, to: &config.provider)
        if let level = try reader.parsed(.logLevel, EnvironmentValue.logLevelExpectation, EnvironmentValue.logLevel) {
            config.logging.level = level
        }
        if let format = try reader.parsed(.logFormat, EnvironmentValue.logFormatExpectation, EnvironmentValue.logFormat)
        {
            config.logging.format = format
        }
        if let grace = try reader.parsed(
            .shutdownGrace, EnvironmentValue.graceExpectation, EnvironmentValue.nonNegativeSeconds)
        {
            config.server.shutdownGrace = grace
        }
        try applyServer(reader, to: &config.server)
        if let interval = try reader.parsed(
            .streamingSSEKeepalive, EnvironmentValue.timeoutExpectation, EnvironmentValue.positiveSeconds)
        {
            config.streaming.sseKeepalive = interval
        }
        return config
    }

    private func applyServer(_ reader: EnvironmentReader, to server: inout ServerSettings) throws {
        if let token = reader.text(.adminToken) { server.adminToken = token }
        if let port = try reader.integer(.adminPort, .port) { server.adminPort = port }
        if let proxies = try reader.parsed(.trustedProxies, ProxyRules.expectation, ProxyRules.entries) {
            server.trustedProxies = proxies
        }
    }

    private func applyChat(_ reader: EnvironmentReader, to chat: inout ChatSettings) throws {
        if let store = try reader.parsed(.chatStore, ChatStoreLocation.expectation, ChatStoreLocation.init(parsing:)) {
            chat.store = store
        }
        if let value = try reader.integer(.chatMaxRooms, .positive) { chat.maxRooms = value }
        if let value = try reader.integer(.chatMaxMessageLength, .positive) { chat.maxMessageLength = value }
        if let value = try reader.integer(.chatRateLimit, .positive) { chat.rateLimit = value }
    }

    private func applyWebSocket(_ reader: EnvironmentReader, to websocket: inout WebSocketSettings) throws {
        if let path = try reader.parsed(.websocketPath, WebSocketRules.pathExpectation, WebSocketRules.path) {
            websocket.path = path
        }
        if let value = try reader.integer(.websocketMaxMessageSize, .positive) { websocket.maxMessageSize = value }
        if let value = try reader.integer(.websocketRateLimit, .positive) { websocket.messagesPerMinute = value }
        if let value = try reader.integer(.websocketBufferSize, .positive) { websocket.bufferSize = value }
        if let interval = try reader.parsed(
            .websocketHeartbeatInterval, EnvironmentValue.timeoutExpectation, EnvironmentValue.positiveSeconds)
        {
            websocket.heartbeatInterval = interval
        }
        if let origins = try reader.parsed(
            .websocketAllowedOrigins, WebSocketRules.originsExpectation, WebSocketRules.origins)
        {
            websocket.allowedOrigins = origins
        }
        if let text = reader.text(.websocketAuthTokens) {
            websocket.authTokens = try WebSocketRules.authTokens(text, variable: EnvironmentVariable.websocketAuthTokens.name)
        }
    }

    private func applyProviderLimits(_ reader: EnvironmentReader, to provider: inout ProviderSettings) throws {
        if let value = try reader.integer(.openAIMaxConnections, .positive) { provider.maxConnections = value }
        if let timeout = try reader.parsed(
            .openAIQueueTimeout, EnvironmentValue.timeoutExpectation, EnvironmentValue.positiveSeconds)
        {
            provider.queueTimeout = timeout
        }
        if let timeout = try reader.parsed(
            .openAIConnectTimeout, EnvironmentValue.timeoutExpectation, EnvironmentValue.positiveSeconds)
        {
            provider.connectTimeout = timeout
        }
        if let value = try reader.integer(.openAIMaxStreamsPerConnection, .positive) {
            provider.maxStreamsPerConnection = value
        }
        if let path = reader.text(.openAICAFile) { provider.caFile = path }
    }

    private func applyReplay(_ reader: EnvironmentReader, to streaming: inout StreamingSettings) throws {
        if let retention = try reader.parsed(
            .streamingReplayRetention, EnvironmentValue.timeoutExpectation, EnvironmentValue.positiveSeconds)
        {
            streaming.replayRetention = retention
        }
        if let value = try reader.integer(.streamingReplayBufferFrames, .positive) {
            streaming.replayBufferFrames = value
        }
        if let value = try reader.integer(.streamingMaxRetainedStreams, .nonNegative) {
            streaming.maxRetainedStreams = value
        }
        if let value = try reader.integer(.streamingMaxActiveStreams, .positive) { streaming.maxActiveStreams = value }
    }
}

/// Reads one variable at a time and turns an unacceptable value into a configuration error.
struct EnvironmentReader {
    let environment: [String: String]

    /// The trimmed value, or `nil` when the variable is unset, empty or only whitespace.
    func text(_ variable: StreamingConfiguration.EnvironmentVariable) -> String? {
        guard let raw = environment[variable.name] else { return nil }
        let trimmed = raw.trimmingWhitespace()
        return trimmed.isEmpty ? nil : trimmed
    }

    func integer(_ variable: StreamingConfiguration.EnvironmentVariable, _ rule: IntegerRule) throws -> Int? {
        try parsed(variable, rule.expectation) { EnvironmentValue.integer($0, rule) }
    }

    /// `RAAF_SIMULATION_DELAY_MS` as a duration, or `nil` when it is not set.
    func simulationDelay() throws -> Duration? {
        try integer(.simulationDelay, .delayMilliseconds).map { .milliseconds($0) }
    }

    func url(_ variable: StreamingConfiguration.EnvironmentVariable, schemes: [String]) throws -> String? {
        guard let value = text(variable) else { return nil }
        guard URLCredentials.hasScheme(value, in: schemes) else {
            let expected = schemes.map { $0 + "://" }.joined(separator: " or ")
            throw StreamingError.configuration(
                variable: variable.name,
                reason: "expected a URL starting with \(expected), got \(EnvironmentValue.describeURL(value))"
            )
        }
        return value
    }

    func parsed<Value>(
        _ variable: StreamingConfiguration.EnvironmentVariable,
        _ expectation: String,
        _ parse: (String) -> Value?
    ) throws -> Value? {
        guard let value = text(variable) else { return nil }
        guard let parsed = parse(value) else {
            let shown = variable.isSecret ? "a value that is not accepted" : EnvironmentValue.quoted(value)
            throw StreamingError.configuration(variable: variable.name, reason: "expected \(expectation), got \(shown)")
        }
        return parsed
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and line breaks.
    fileprivate func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }),
            let last = lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(self[first...last])
    }
}
