import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Synchronization
import Testing

/// The test double for the ``ChatStore`` port: every room and message in memory, and a
/// switch that makes every call fail, to test the service's retries and bounds.
final class TestChatStore: ChatStore {
    struct Failure: Error {}

    private struct State {
        var rooms: [String: Room] = [:]
        var order: [String] = []
        var messages: [String: [RoomMessage]] = [:]
        var failing = false
        var appends = 0
        var historyReads = 0
        var deleted: [String] = []
    }

    private let state = Mutex(State())

    init() {}

    /// Whether every call throws.
    var failing: Bool {
        get { state.withLock { $0.failing } }
        set { state.withLock { $0.failing = newValue } }
    }

    /// Calls of `append` that succeeded.
    var appends: Int { state.withLock { $0.appends } }
    /// Calls of `history` that succeeded.
    var historyReads: Int { state.withLock { $0.historyReads } }
    var deleted: [String] { state.withLock { $0.deleted } }

    /// The stored messages of `room`.
    func messages(of room: String) -> [RoomMessage] { state.withLock { $0.messages[room] ?? [] } }

    /// The stored settings of `room`.
    func room(_ name: String) -> Room? { state.withLock { $0.rooms[name] } }

    private func check() throws {
        if failing { throw Failure() }
    }

    func saveRoom(_ room: Room) async throws {
        try check()
        state.withLock { state in
            if state.rooms[room.name] == nil { state.order.append(room.name) }
            state.rooms[room.name] = room
        }
    }

    func deleteRoom(named name: String) async throws {
        try check()
        state.withLock { state in
            state.rooms[name] = nil
            state.messages[name] = nil
            state.order.removeAll { $0 == name }
            state.deleted.append(name)
        }
    }

    func rooms() async throws -> [Room] {
        try check()
        return state.withLock { state in state.order.compactMap { state.rooms[$0] } }
    }

    func append(_ messages: [RoomMessage]) async throws {
        try check()
        try state.withLock { state in
            for message in messages {
                guard state.rooms[message.room] != nil else { throw StreamingError.invalidInput("no room \(message.room)") }
                guard message.seq > (state.messages[message.room]?.last?.seq ?? 0) else {
                    throw StreamingError.invalidInput("seq \(message.seq) is stored")
                }
                state.messages[message.room, default: []].append(message)
            }
            state.appends += 1
        }
    }

    func lastSeq(inRoom room: String) async throws -> Int {
        try check()
        return state.withLock { $0.messages[room]?.last?.seq ?? 0 }
    }

    func history(ofRoom room: String, beforeSeq: Int?, limit: Int) async throws -> [RoomMessage] {
        try check()
        return state.withLock { state in
            state.historyReads += 1
            let older = (state.messages[room] ?? []).filter { beforeSeq == nil || $0.seq < beforeSeq! }
            return Array(older.suffix(limit))
        }
    }
}

/// A chat service on a hub, running, with recording clients.
struct ChatHarness {
    let hub: ConnectionHub
    let chat: ChatService
    let store: TestChatStore

    /// Connects a recording client and forgets its greeting.
    func client(identity: String? = nil) throws -> TestClient {
        let client = try hub.connectClient(info: ConnectionInfo(identity: identity))
        client.sink.clear()
        return client
    }
}

enum ChatFixture {
    static let weather = Tool(name: "get_weather", description: "The weather in a city.", parameters: ["type": "object"]) {
        (arguments: [String: String]) async throws -> String in
        "Sunny in \(arguments["city"] ?? "?")"
    }

    static let assistant = Agent(name: "assistant", instructions: "Be helpful.", tools: [weather])
    static let support = Agent(name: "support", instructions: "Solve problems.")

    static let agents: [String: Agent] = [
        "assistant": assistant,
        "support": support,
        "sales": Agent(name: "sales", instructions: "Sell."),
    ]

    /// A model slow enough to still be answering when a test acts on it.
    static func slowModel(delay: Duration = .milliseconds(40)) -> CancellationProbe {
        CancellationProbe(SimulatedProvider(base: ScriptedModelProvider(), delay: delay))
    }
}

/// Runs a chat service (loaded from `store`) around `body`, then shuts it down and waits for
/// its `run()` to return, as the server's lifecycle does.
func withChat<Result: Sendable>(
    options: ChatOptions = ChatOptions(),
    provider: any ModelProvider = ScriptedModelProvider(),
    agents: [String: Agent] = ChatFixture.agents,
    store: TestChatStore = TestChatStore(),
    clock: any Clock<Duration> = ContinuousClock(),
    authenticate: (@Sendable (String) -> String?)? = nil,
    _ body: (ChatHarness) async throws -> Result
) async throws -> Result {
    let hub = HubFixture.hub(authenticate: authenticate)
    let chat = ChatService(
        hub: hub, runner: AgentRunner(provider: provider), store: store, agents: agents, options: options, clock: clock)
    try await chat.load()
    async let running: Void = chat.run()
    do {
        let result = try await body(ChatHarness(hub: hub, chat: chat, store: store))
        chat.shutdown()
        await running
        return result
    } catch {
        chat.shutdown()
        await running
        throw error
    }
}

extension TestClient {
    /// Sends a message of `type` with `fields`.
    func send(_ type: String, _ fields: [String: JSONValue]) {
        var object = fields
        object["type"] = .string(type)
        send(JSONValue.object(object))
    }

    /// The frames of `type` received so far.
    func frames(_ type: String) -> [JSONValue] { sink.messages(ofType: type) }

    /// The frame types received so far, in order.
    var types: [String] { sink.messages.compactMap { $0["type"]?.stringValue } }

    /// The last `error` frame.
    var lastError: JSONValue? { frames("error").last }

    /// Waits until at least `count` frames of `type` (matching `condition`) have arrived.
    func waitFor(
        _ type: String, count: Int = 1, timeout: Duration = .seconds(30),
        where condition: @escaping @Sendable (JSONValue) -> Bool = { _ in true }
    ) async throws {
        let sink = sink
        try await waitUntil(timeout: timeout, "\(count) \(type) frames") {
            sink.messages(ofType: type).count(where: condition) >= count
        }
    }

    /// Creates `room` and returns the `room_created` frame.
    @discardableResult
    func create(_ room: String, _ fields: [String: JSONValue] = [:]) throws -> JSONValue {
        var fields = fields
        fields["room"] = .string(room)
        send("create_room", fields)
        let frame = try #require(sink.last)
        try #require(frame["type"] == "room_created", "create_room answered \(frame)")
        return frame
    }

    /// Joins `room` as `user` and returns the `room_joined` frame.
    @discardableResult
    func join(_ room: String, as user: String? = nil) throws -> JSONValue {
        var fields: [String: JSONValue] = ["room": .string(room)]
        if let user { fields["user"] = .string(user) }
        send("join_room", fields)
        let frame = try #require(sink.last)
        try #require(frame["type"] == "room_joined", "join_room answered \(frame)")
        return frame
    }

    /// Says `content` in `room`.
    func say(_ content: String, in room: String) {
        send("chat_message", ["room": .string(room), "content": .string(content)])
    }
}

/// The frames of one answer stream, in arrival order.
func framesOfAnswer(_ client: TestClient, stream: String) -> [JSONValue] {
    client.sink.messages.filter { $0["stream"]?.stringValue == stream }
}

/// The `content` of the `response_chunk` frames, concatenated.
func chunkContent(_ frames: [JSONValue]) -> String {
    frames.filter { $0["type"] == "response_chunk" }.compactMap { $0["content"]?.stringValue }.joined()
}

extension JSONValue {
    /// The elements when this is an array, else `nil`.
    var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }
}
