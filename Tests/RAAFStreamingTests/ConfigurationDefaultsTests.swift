import Testing

@testable import RAAFStreaming

@Suite("Configuration defaults")
struct ConfigurationDefaultsTests {
    let config = StreamingConfiguration()

    @Test func websocketDefaults() {
        #expect(config.websocket.port == 8080)
        #expect(config.websocket.host == "0.0.0.0")
        #expect(config.websocket.maxConnections == 5000)
        #expect(config.websocket.heartbeatInterval == .seconds(30))
        #expect(config.websocket.enableCompression)
    }

    @Test func streamingDefaults() {
        #expect(config.streaming.chunkSize == 1024)
        #expect(config.streaming.bufferSize == 8192)
        #expect(config.streaming.timeout == .seconds(60))
        #expect(config.streaming.enableSSE)
        #expect(config.streaming.chunkDelay == .zero)
        #expect(config.streaming.maxTurns == 10)
    }

    @Test func asyncDefaults() {
        #expect(config.async.poolSize == 20)
        #expect(config.async.queueSize == 1000)
        #expect(config.async.threadTimeout == .seconds(30))
    }

    @Test func backgroundDefaults() {
        #expect(config.background.redisURL == nil)
        #expect(config.background.workers == 10)
        #expect(config.background.retryCount == 3)
        #expect(config.background.retryDelay == .seconds(5))
    }

    @Test func eventAndChatDefaults() {
        #expect(config.events.maxListeners == 100)
        #expect(config.events.enableWildcards)
        #expect(config.events.historySize == 1000)
        #expect(config.chat.maxRooms == 100)
        #expect(config.chat.maxParticipantsPerRoom == 50)
        #expect(config.chat.messageHistorySize == 500)
        #expect(config.chat.enableTypingIndicators)
    }

    @Test func providerDefaults() {
        #expect(config.provider.baseURL == nil)
        #expect(config.provider.apiKey == nil)
        #expect(config.provider.model == "gpt-4o")
        #expect(config.provider.simulationDelay == .zero)
        #expect(config.provider.maxConnections == 1_000)
        #expect(config.provider.queueTimeout == .seconds(30))
        #expect(config.provider.connectTimeout == .seconds(10))
        #expect(!config.provider.usesRemoteModel)
        #expect(ProviderSettings.openAIBaseURL == "https://api.openai.com/v1")
        #expect(config.provider.resolvedBaseURL == ProviderSettings.openAIBaseURL)
    }

    @Test func usesRemoteModelWhenURLOrKeyIsSet() {
        #expect(ProviderSettings(baseURL: "http://127.0.0.1:9000/v1").usesRemoteModel)
        #expect(ProviderSettings(apiKey: "sk-test").usesRemoteModel)
    }

    @Test func loggingDefaults() {
        #expect(config.logging.level == .info)
        #expect(config.logging.format == .text)
    }

    @Test func defaultsAreValid() throws {
        try config.validate()
    }

    @Test func emptyEnvironmentChangesNothing() throws {
        #expect(try config.applyingEnvironment([:]) == config)
    }
}
