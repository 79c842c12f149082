import Testing

@testable import RAAFStreaming

@Suite("Chat settings from the environment")
struct ChatConfigurationTests {
    @Test func chatVariablesOverrideTheirSettings() throws {
        let config = try StreamingConfiguration().applyingEnvironment([
            "CHAT_STORE": "sqlite:/tmp/rooms.sqlite",
            "CHAT_MAX_ROOMS": "7",
            "CHAT_MAX_MESSAGE_LENGTH": "500",
            "CHAT_RATE_LIMIT": "12",
        ])
        #expect(config.chat.store == .sqlite(path: "/tmp/rooms.sqlite"))
        #expect(config.chatStoreLocation == .sqlite(path: "/tmp/rooms.sqlite"))
        #expect(config.chat.maxRooms == 7)
        #expect(config.chat.maxMessageLength == 500)
        #expect(config.chat.rateLimit == 12)
        #expect(try StreamingConfiguration().applyingEnvironment(["CHAT_STORE": "memory"]).chat.store == .memory)
        #expect(try StreamingConfiguration().applyingEnvironment(["CHAT_STORE": "redis"]).chat.store == .redis)
    }

    @Test("without CHAT_STORE, rooms live in raaf-chat.sqlite, or in Redis when REDIS_URL is set")
    func theDefaultStoreFollowsRedisURL() throws {
        #expect(StreamingConfiguration().chat.store == nil)
        #expect(StreamingConfiguration().chatStoreLocation == .sqlite(path: "raaf-chat.sqlite"))
        let clustered = try StreamingConfiguration().applyingEnvironment(["REDIS_URL": "redis://127.0.0.1:6390"])
        #expect(clustered.chatStoreLocation == .redis)
        try clustered.validate()
        // Set in code, REDIS_URL's server is the default too, as for the job queue.
        var coded = StreamingConfiguration()
        coded.background.redisURL = "redis://127.0.0.1:6390"
        #expect(coded.chatStoreLocation == .redis)
    }

    @Test("CHAT_STORE chooses memory or SQLite over REDIS_URL's default", arguments: ["memory", "sqlite:/tmp/rooms.sqlite"])
    func anExplicitStoreWinsOverRedisURL(_ value: String) throws {
        let config = try StreamingConfiguration().applyingEnvironment([
            "REDIS_URL": "redis://127.0.0.1:6390", "CHAT_STORE": value,
        ])
        #expect(config.chatStoreLocation.description == value)
        try config.validate()
    }

    @Test("a server that is a node of a cluster refuses a chat store other than the cluster's Redis", arguments: ["memory", "sqlite:/tmp/rooms.sqlite"])
    func aClusterNodeKeepsRoomsInRedis(_ value: String) throws {
        // A port nothing listens on: making the server connects nothing.
        let clustered = try Streaming.configure(environment: ["REDIS_URL": "redis://127.0.0.1:1", "CHAT_STORE": value])
        #expect {
            _ = try RealtimeServer(system: clustered, host: "127.0.0.1", port: 0, handlesSignals: false)
        } throws: { error in
            guard case StreamingError.configuration(let variable, let reason) = error else { return false }
            return variable == "chat.store" && reason.contains("REDIS_URL")
        }
        // A store passed in code is refused the same way; without it the node uses Redis.
        let redis = try Streaming.configure(environment: ["REDIS_URL": "redis://127.0.0.1:1"])
        #expect(throws: StreamingError.self) {
            _ = try RealtimeServer(system: redis, port: 0, chatStore: InMemoryChatStore(), handlesSignals: false)
        }
        _ = try RealtimeServer(system: redis, host: "127.0.0.1", port: 0, handlesSignals: false)
    }

    @Test("makeChatStore opens the store chosen: Redis (lazily, nothing connects), memory or SQLite")
    func makeChatStoreOpensTheChosenStore() throws {
        // A port nothing listens on: the Redis store is made without connecting.
        let clustered = try Streaming.configure(environment: ["REDIS_URL": "redis://127.0.0.1:1"])
        #expect(try clustered.makeChatStore() is RedisChatStore)
        let memory = try Streaming.configure(environment: ["REDIS_URL": "redis://127.0.0.1:1", "CHAT_STORE": "memory"])
        #expect(try memory.makeChatStore() is InMemoryChatStore)
    }

    @Test("CHAT_STORE=redis without REDIS_URL is a configuration error that names both")
    func redisWithoutRedisURLIsRefused() throws {
        #expect {
            try Streaming.configure(environment: ["CHAT_STORE": "redis"])
        } throws: { error in
            guard case StreamingError.configuration(let variable, let reason) = error else { return false }
            return variable == "chat.store" && reason.contains("REDIS_URL") && reason.contains("CHAT_STORE=redis")
        }
        // The same when code chooses Redis.
        #expect(throws: StreamingError.self) {
            try Streaming.configure(environment: [:]) { $0.chat.store = .redis }
        }
        // REDIS_URL given in code makes it valid.
        let system = try Streaming.configure(environment: ["CHAT_STORE": "redis"]) {
            $0.background.redisURL = "redis://127.0.0.1:1"
        }
        #expect(system.configuration.chatStoreLocation == .redis)
    }

    @Test(arguments: ["redis://127.0.0.1:6379", "sqlite:", "postgres://x", "Memory", "Redis", "redis:"])
    func aStoreThatIsNotMemorySQLiteOrRedisIsRefused(_ value: String) {
        #expect {
            try StreamingConfiguration().applyingEnvironment(["CHAT_STORE": value])
        } throws: { error in
            guard case StreamingError.configuration(let variable, let reason) = error else { return false }
            return variable == "CHAT_STORE" && reason.contains("memory, sqlite:PATH or redis")
        }
    }
}
