// The event-emitter section of the Ruby gem, in Swift: listeners, wildcards, once,
// history, waiting for an event, filtered and mapped views, and agent events.
import RAAFStreaming
import Synchronization

@main
struct EventDriven {
    static func main() async throws {
        let system = try Streaming.configure { config in
            config.events.maxListeners = 50
            config.events.historySize = 100
        }
        let bus = system.eventBus

        // Exact and wildcard listeners.
        let responseListener = try bus.on("agent.response") { event in
            print("Agent responded: \(event.data?["content"]?.stringValue ?? "")")
        }
        try bus.on("user.*") { event in
            print("User event: \(event.topic)")
        }
        // A one-time listener.
        try bus.once("system.startup") { event in
            print("System started at \(event.data?["timestamp"]?.stringValue ?? "?")")
        }

        bus.emit("system.startup", data: ["timestamp": "2026-11-21T09:00:00Z"])
        bus.emit("system.startup", data: ["timestamp": "ignored: once already fired"])
        bus.emit("user.login", data: ["user_id": "user123"])
        bus.emit("agent.response", data: ["content": "Hello!"])
        bus.off(responseListener)

        // Waiting for an event with a timeout. A wait sees only events emitted after it has
        // registered its listener, so the emitter here starts once the listener count has grown.
        let listenersBefore = bus.stats.listeners
        let logout = Task { try await bus.waitForEvent("user.logout", timeout: .seconds(5)) }
        while bus.stats.listeners == listenersBefore { await Task.yield() }
        // Asynchronous emission: awaiting the task means every listener has run.
        await bus.emitAsync("user.logout", .json(["user_id": "user123"])).value
        print("Waited for: \(try await logout.value.topic)")

        // Filtered and mapped views.
        let highPriority = bus.filter { $0.data?["priority"] == "high" }
        try highPriority.on("task.*") { event in print("High priority task: \(event.topic)") }
        let shouting = bus.map { event in
            BusEvent(topic: event.topic.uppercased(), payload: event.payload, timestamp: event.timestamp, sequence: event.sequence)
        }
        try shouting.on("task.created") { event in print("Mapped topic: \(event.topic)") }
        bus.emit("task.created", data: ["priority": "high"])
        bus.emit("task.created", data: ["priority": "low"])

        // Agent runs publish agent.* events on the system's bus.
        let chunks = Mutex(0)
        try bus.on("agent.chunk") { _ in chunks.withLock { $0 += 1 } }
        try bus.on("agent.complete") { event in
            if case .stream(_, let streamEvent) = event.payload, let result = Chunk(streamEvent).result {
                print("Run complete: \(result.finalOutput.count) characters")
            }
        }
        _ = try await system.runner.run(DemoAgents.assistant, "Hello from the event bus")
        print("Chunks seen by the listener: \(chunks.withLock { $0 })")

        let stats = bus.stats
        print("Listeners: \(stats.listeners), events emitted: \(stats.emitted), in history: \(bus.history().count)")
    }
}
