import StreamingDomain
import Testing

@testable import StreamingApplication

@Suite("EventBus limits and history")
struct EventBusLimitTests {
    @Test("maxListeners is enforced per topic pattern and off frees a slot")
    func exactLimit() throws {
        let bus = EventBus(options: .init(maxListeners: 2))
        let first = try bus.on("t") { _ in }
        try bus.once("t") { _ in }
        #expect(throws: StreamingError.listenerLimitExceeded(topic: "t", limit: 2)) {
            try bus.on("t") { _ in }
        }
        // Other patterns have their own budget.
        try bus.on("u") { _ in }
        try bus.on("t.*") { _ in }
        bus.off(first)
        try bus.on("t") { _ in }
        #expect(bus.stats.listeners == 4)
    }

    @Test("wildcard patterns have their own limit")
    func wildcardLimit() throws {
        let bus = EventBus(options: .init(maxListeners: 1))
        let id = try bus.on("user.*") { _ in }
        #expect(throws: StreamingError.listenerLimitExceeded(topic: "user.*", limit: 1)) {
            try bus.once("user.*") { _ in }
        }
        bus.off(id)
        try bus.once("user.*") { _ in }
        bus.emit("user.login")
        // The fired once listener freed its slot too.
        try bus.on("user.*") { _ in }
    }

    @Test("a limit of zero means no limit")
    func unlimited() throws {
        let bus = EventBus(options: .init(maxListeners: 0))
        for _ in 0..<500 { try bus.on("t") { _ in } }
        #expect(bus.stats.listeners == 500)
    }

    @Test("history keeps the newest historySize events, with or without listeners")
    func historyBound() throws {
        let bus = EventBus(options: .init(historySize: 3))
        try bus.on("heard") { _ in }
        for index in 1...5 { bus.emit(index.isMultiple(of: 2) ? "heard" : "unheard", data: .int(index)) }
        let history = bus.history()
        #expect(history.map(\.sequence) == [3, 4, 5])
        #expect(history.map(\.data) == [3, 4, 5])
        #expect(bus.stats.historyCount == 3)
        #expect(bus.stats.emitted == 5)
        #expect(bus.history(topic: "heard").map(\.sequence) == [4])
    }

    @Test("historySize 0 keeps no history")
    func historyDisabled() {
        let bus = EventBus(options: .init(historySize: 0))
        bus.emit("t")
        #expect(bus.history().isEmpty)
        #expect(bus.stats.historyCount == 0)
        #expect(bus.stats.emitted == 1)
    }

    @Test("the default history holds 1000 events")
    func defaultHistory() {
        let bus = EventBus()
        for _ in 0..<1500 { bus.emit("t") }
        let history = bus.history()
        #expect(history.count == 1000)
        #expect(history.first?.sequence == 501 && history.last?.sequence == 1500)
    }
}
