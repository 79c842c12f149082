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
        #expect(config.chat.maxRooms == 7)
        #expect(config.chat.maxMessageLength == 500)
        #expect(config.chat.rateLimit == 12)
        #expect(try StreamingConfiguration().applyingEnvironment(["CHAT_STORE": "memory"]).chat.store == .memory)
        #expect(StreamingConfiguration().chat.store == .sqlite(path: "raaf-chat.sqlite"))
    }

    @Test(arguments: ["redis://127.0.0.1:6379", "sqlite:", "postgres://x", "Memory"])
    func aStoreThatIsNotMemoryOrSQLiteIsRefused(_ value: String) {
        #expect(throws: StreamingError.self) {
            try StreamingConfiguration().applyingEnvironment(["CHAT_STORE": value])
        }
    }
}
