import StreamingDomain
import Testing

@testable import StreamingApplication

@Suite("EventBus wildcards")
struct EventBusWildcardTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var pattern: String
        var topic: String
        var matches: Bool
        var testDescription: String { "\(pattern) \(matches ? "matches" : "does not match") \(topic)" }
    }

    static let cases: [Case] = [
        Case(pattern: "user.*", topic: "user.login", matches: true),
        Case(pattern: "user.*", topic: "user.profile.update", matches: true),
        Case(pattern: "user.*", topic: "user", matches: false),
        Case(pattern: "user.*", topic: "user.", matches: false),
        Case(pattern: "user.*", topic: "users.x", matches: false),
        Case(pattern: "*", topic: "anything.at.all", matches: true),
        Case(pattern: "*", topic: "x", matches: true),
        Case(pattern: "*", topic: "", matches: true),
        Case(pattern: "*.login", topic: "user.login", matches: true),
        Case(pattern: "*.login", topic: "a.b.login", matches: true),
        Case(pattern: "*.login", topic: ".login", matches: false),
        Case(pattern: "*.login", topic: "user.logout", matches: false),
        Case(pattern: "a.*.c", topic: "a.b.c", matches: true),
        Case(pattern: "a.*.c", topic: "a.b.x.c", matches: true),
        Case(pattern: "a.*.c", topic: "a..c", matches: false),
        Case(pattern: "a.*.c", topic: "a.b.c.d", matches: false),
        Case(pattern: "a.*.c.*", topic: "a.c.c.c.d", matches: true),
        Case(pattern: "a*b*c", topic: "axbyc", matches: true),
        Case(pattern: "a*b*c", topic: "abc", matches: false),
        Case(pattern: "a*b*c", topic: "axbc", matches: false),
        Case(pattern: "**", topic: "x", matches: false),
        Case(pattern: "**", topic: "xy", matches: true),
        Case(pattern: "run.*.token", topic: "run.é.token", matches: true),
        Case(pattern: "ü.*", topic: "ü.ß", matches: true),
        Case(pattern: "plain", topic: "plain", matches: true),
        Case(pattern: "plain", topic: "plainer", matches: false),
    ]

    @Test("pattern matching", arguments: cases)
    func matching(_ testCase: Case) {
        #expect(TopicPattern(testCase.pattern).matches(testCase.topic) == testCase.matches)
    }

    @Test("wildcard listeners receive matching events only", arguments: cases)
    func delivery(_ testCase: Case) throws {
        let bus = EventBus()
        let seen = EventBusRecorder<String>()
        try bus.on(testCase.pattern) { seen.append($0.topic) }
        bus.emit(testCase.topic)
        #expect(seen.values == (testCase.matches ? [testCase.topic] : []))
        #expect(bus.hasListeners(for: testCase.topic) == testCase.matches)
    }

    @Test("with wildcards disabled, * is a literal character")
    func disabled() throws {
        let bus = EventBus(options: .init(enableWildcards: false))
        let seen = EventBusRecorder<String>()
        try bus.on("user.*") { seen.append($0.topic) }
        bus.emit("user.login")
        #expect(seen.values.isEmpty)
        #expect(!bus.hasListeners(for: "user.login"))
        bus.emit("user.*")
        #expect(seen.values == ["user.*"])
        #expect(bus.history(topic: "user.*").map(\.topic) == ["user.*"])
    }

    @Test("history filters by exact topic or wildcard pattern")
    func historyByPattern() {
        let bus = EventBus()
        for topic in ["user.login", "system.startup", "user.profile.update", "user"] { bus.emit(topic) }
        #expect(bus.history(topic: "user.*").map(\.topic) == ["user.login", "user.profile.update"])
        #expect(bus.history(topic: "user").map(\.topic) == ["user"])
        #expect(bus.history(topic: "*").count == 4)
        #expect(bus.history().count == 4)
    }

    @Test("a listener on both an exact topic and a matching pattern receives the event once per registration")
    func overlapping() throws {
        let bus = EventBus()
        let seen = EventBusRecorder<String>()
        try bus.on("user.*") { _ in seen.append("pattern") }
        try bus.on("user.login") { _ in seen.append("exact") }
        try bus.on("user.*") { _ in seen.append("pattern-again") }
        bus.emit("user.login")
        #expect(seen.values == ["pattern", "exact", "pattern-again"])
    }
}
