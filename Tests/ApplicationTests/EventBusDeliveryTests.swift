import Logging
import StreamingDomain
import Testing

@testable import StreamingApplication

@Suite("EventBus delivery")
struct EventBusDeliveryTests {
    @Test("emit delivers the topic, payload and an increasing sequence")
    func deliversPayload() throws {
        let bus = EventBus()
        let seen = EventBusRecorder<BusEvent>()
        try bus.on("agent.response") { seen.append($0) }

        bus.emit("agent.response", data: ["content": "hello"])
        bus.emit("agent.response")
        let stream = StreamEvent(seq: 1, kind: .content("tok"))
        bus.emit("agent.response", .stream(runID: "run-1", event: stream))

        let events = seen.values
        #expect(events.map(\.topic) == ["agent.response", "agent.response", "agent.response"])
        #expect(events[0].data?["content"] == "hello")
        #expect(events[1].payload == .none && events[1].data == nil)
        #expect(events[2].payload == .stream(runID: "run-1", event: stream))
        #expect(events[2].streamEvent == stream && events[2].runID == "run-1")
        #expect(events.map(\.sequence) == [1, 2, 3])
        #expect(events[0].timestamp <= events[2].timestamp)
    }

    @Test("listeners run in registration order across exact and wildcard topics")
    func globalRegistrationOrder() throws {
        let bus = EventBus()
        let order = EventBusRecorder<String>()
        try bus.on("user.login") { _ in order.append("exact-1") }
        try bus.on("user.*") { _ in order.append("wild-2") }
        try bus.on("user.login") { _ in order.append("exact-3") }
        try bus.on("*") { _ in order.append("all-4") }
        try bus.on("*.login") { _ in order.append("wild-5") }
        try bus.on("user.logout") { _ in order.append("other") }

        bus.emit("user.login")
        #expect(order.values == ["exact-1", "wild-2", "exact-3", "all-4", "wild-5"])
    }

    @Test("ids increase in registration order")
    func idsIncrease() throws {
        let bus = EventBus()
        let first = try bus.on("a") { _ in }
        let second = try bus.on("b.*") { _ in }
        let third = try bus.once("a") { _ in }
        #expect(first < second && second < third)
    }

    @Test("handlers may call on, off and emit re-entrantly")
    func reentrancy() throws {
        let bus = EventBus()
        let seen = EventBusRecorder<String>()
        let victim = try bus.on("victim") { _ in seen.append("victim") }
        try bus.on("outer") { _ in
            seen.append("outer")
            #expect(bus.off(victim))
            try bus.on("inner") { _ in seen.append("inner") }
            bus.emit("inner")
            #expect(bus.hasListeners(for: "inner"))
            _ = bus.stats
            _ = bus.history()
        }
        bus.emit("outer")
        bus.emit("victim")
        #expect(seen.values == ["outer", "inner"])
    }

    @Test("off removes a listener once and reports whether it did")
    func offRemoves() throws {
        let bus = EventBus()
        let seen = EventBusRecorder<Int>()
        let id = try bus.on("t") { _ in seen.append(1) }
        bus.emit("t")
        #expect(bus.off(id))
        #expect(!bus.off(id))
        bus.emit("t")
        #expect(seen.count == 1)
        #expect(bus.stats.listeners == 0 && bus.stats.topics == 0)
    }

    @Test("once fires for one event, then is gone")
    func onceFiresOnce() throws {
        let bus = EventBus()
        let seen = EventBusRecorder<UInt64>()
        let id = try bus.once("system.startup") { seen.append($0.sequence) }
        #expect(bus.stats.listeners == 1)
        bus.emit("system.startup")
        bus.emit("system.startup")
        #expect(seen.values == [1])
        #expect(bus.stats.listeners == 0)
        #expect(!bus.off(id))
    }

    @Test("once delivers exactly once under concurrent emits from many tasks")
    func onceUnderConcurrency() async throws {
        for _ in 0..<20 {
            let bus = EventBus()
            let exact = EventBusRecorder<UInt64>()
            let wildcard = EventBusRecorder<UInt64>()
            try bus.once("job.done") { exact.append($0.sequence) }
            try bus.once("job.*") { wildcard.append($0.sequence) }
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask { for _ in 0..<50 { bus.emit("job.done") } }
                }
            }
            #expect(exact.count == 1)
            #expect(wildcard.count == 1)
            #expect(bus.stats.listeners == 0)
            #expect(bus.stats.emitted == 400)
        }
    }

    @Test("concurrent emits reach every listener with unique sequence numbers")
    func concurrentEmits() async throws {
        let bus = EventBus()
        let seen = EventBusRecorder<UInt64>()
        try bus.on("tick") { seen.append($0.sequence) }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask { for _ in 0..<1000 { bus.emit("tick") } }
            }
        }
        #expect(Set(seen.values) == Set(1...4000))
        #expect(bus.stats.delivered == 4000)
    }

    @Test("a throwing listener does not stop the others; it is counted, logged and reported")
    func listenerErrors() throws {
        struct Boom: Error, CustomStringConvertible {
            var description: String { "boom" }
        }
        let handler = EventBusCapturingLogHandler()
        let bus = EventBus(logger: Logger(label: "test") { _ in handler })
        let seen = EventBusRecorder<String>()
        let failures = EventBusRecorder<ListenerFailure>()
        try bus.on("t") { _ in seen.append("first") }
        let failing = try bus.on("t") { _ in throw Boom() }
        try bus.on("t") { _ in seen.append("third") }
        let errorHandler = bus.onListenerError { failures.append($0) }

        bus.emit("t", data: 7)
        #expect(seen.values == ["first", "third"])
        #expect(bus.stats.listenerErrors == 1)
        #expect(bus.stats.delivered == 3)
        let failure = try #require(failures.values.first)
        #expect(failure.topic == "t" && failure.listener == failing)
        #expect(failure.event.data == 7)
        #expect(failure.error is Boom && failure.errorDescription == "boom")

        let warnings = handler.entries.values.filter { $0.level == .warning }
        #expect(warnings.count == 1)
        #expect(warnings.first?.metadata["topic"] == "t")
        #expect(warnings.first?.metadata["error"] == "boom")

        // Error handlers are not listeners, and off removes them too.
        #expect(bus.stats.listeners == 3)
        #expect(bus.off(errorHandler))
        bus.emit("t")
        #expect(failures.count == 1)
        #expect(bus.stats.listenerErrors == 2)
    }

    @Test("emitAsync delivers on another task; awaiting its value means delivery is done")
    func emitAsync() async throws {
        let bus = EventBus()
        let seen = EventBusRecorder<BusEvent>()
        try bus.on("heavy.processing") { seen.append($0) }
        let task = bus.emitAsync("heavy.processing", .json(["process_id": "proc123"]))
        await task.value
        #expect(seen.values.map(\.data) == [["process_id": "proc123"]])
        #expect(bus.stats.emitted == 1)
    }

    @Test("hasListeners answers for exact and wildcard topics")
    func hasListeners() throws {
        let bus = EventBus()
        #expect(!bus.hasListeners(for: "run.token"))
        let exact = try bus.on("run.token") { _ in }
        #expect(bus.hasListeners(for: "run.token"))
        #expect(!bus.hasListeners(for: "run.done"))
        bus.off(exact)
        #expect(!bus.hasListeners(for: "run.token"))
        let wildcard = try bus.on("run.*") { _ in }
        #expect(bus.hasListeners(for: "run.token"))
        #expect(!bus.hasListeners(for: "run"))
        bus.off(wildcard)
        #expect(!bus.hasListeners(for: "run.token"))
    }

    @Test("stats count emitted, delivered, listeners and topics")
    func stats() throws {
        let bus = EventBus(options: .init(historySize: 2))
        try bus.on("a") { _ in }
        try bus.on("a") { _ in }
        try bus.on("a.*") { _ in }
        try bus.once("b") { _ in }
        #expect(bus.stats == EventBusStats(listeners: 4, topics: 3))
        bus.emit("a")
        bus.emit("a.x")
        bus.emit("b")
        bus.emit("nobody")
        #expect(
            bus.stats
                == EventBusStats(listeners: 3, topics: 2, emitted: 4, delivered: 4, listenerErrors: 0, historyCount: 2)
        )
    }
}
