import StreamingDomain
import Testing

@testable import StreamingApplication

@Suite("EventBus views")
struct EventBusViewTests {
    @Test("filter lets only matching events through")
    func filter() throws {
        let bus = EventBus()
        let seen = EventBusRecorder<JSONValue?>()
        let urgent = bus.filter { $0.data?["priority"] == "high" }
        try urgent.on("ticket.*") { seen.append($0.data?["id"]) }
        bus.emit("ticket.new", data: ["priority": "low", "id": 1])
        bus.emit("ticket.new", data: ["priority": "high", "id": 2])
        bus.emit("ticket.update", data: ["priority": "high", "id": 3])
        #expect(seen.values == [2, 3])
    }

    @Test("map transforms what the view's listeners see, not what the bus delivers")
    func map() throws {
        let bus = EventBus()
        let mapped = EventBusRecorder<JSONValue?>()
        let raw = EventBusRecorder<JSONValue?>()
        let upper = bus.map { event in
            event.with(payload: .json(.string((event.data?.stringValue ?? "").uppercased())))
        }
        try upper.on("greeting") { mapped.append($0.data) }
        try bus.on("greeting") { raw.append($0.data) }
        bus.emit("greeting", data: "hi")
        #expect(mapped.values == ["HI"])
        #expect(raw.values == ["hi"])
    }

    @Test("filters and maps apply in the order they were chained")
    func chaining() throws {
        let bus = EventBus()
        let seen = EventBusRecorder<Int>()
        let view =
            bus
            .filter { ($0.data?.intValue ?? 0) > 1 }
            .map { $0.with(payload: .json(.int(($0.data?.intValue ?? 0) * 10))) }
            .filter { ($0.data?.intValue ?? 0) < 40 }
        try view.on("n") { seen.append($0.data?.intValue ?? -1) }
        for value in 1...5 { bus.emit("n", data: .int(value)) }
        #expect(seen.values == [20, 30])
    }

    @Test("a view's once ignores dropped events and fires exactly once")
    func viewOnce() async throws {
        let bus = EventBus()
        let seen = EventBusRecorder<Int>()
        let even = bus.filter { ($0.data?.intValue ?? 1).isMultiple(of: 2) }
        try even.once("n") { seen.append($0.data?.intValue ?? -1) }
        bus.emit("n", data: 1)
        #expect(bus.stats.listeners == 1)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { for value in 0..<100 { bus.emit("n", data: .int(value)) } }
            }
        }
        #expect(seen.count == 1)
        #expect(seen.values.first.map { $0.isMultiple(of: 2) } == true)
        #expect(bus.stats.listeners == 0)
    }

    @Test("view listeners count against the bus's limit and stats, and bus.off removes them")
    func viewListenersBelongToBus() throws {
        let bus = EventBus(options: .init(maxListeners: 2))
        let view = bus.filter { _ in true }.map { $0 }
        let first = try view.on("t") { _ in }
        try bus.on("t") { _ in }
        #expect(throws: StreamingError.listenerLimitExceeded(topic: "t", limit: 2)) {
            try view.once("t") { _ in }
        }
        #expect(bus.stats.listeners == 2)
        #expect(bus.off(first))
        let second = try view.once("t") { _ in }
        #expect(view.off(second))
        #expect(bus.stats.listeners == 1)
    }

    @Test("a view does not keep its bus alive")
    func noRetainCycle() throws {
        weak var weakBus: EventBus?
        do {
            let bus = EventBus()
            weakBus = bus
            try bus.filter { _ in true }.once("t") { _ in }
            try bus.map { $0 }.on("t") { _ in }
        }
        #expect(weakBus == nil)
    }
}
