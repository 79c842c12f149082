import Foundation
import Logging
import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingRedis
import StreamingRedisTestSupport
import StreamingTestSupport
import Testing
import Tracing

/// Chat services in this process as the nodes of one cluster: each with its own hub and its
/// own Redis connections (ledger, Pub/Sub), on one real redis-server, in a fresh namespace.
struct ChatTestCluster: Sendable {
    let namespace: String
    let url: String
    let hubs: [ConnectionHub]
    let chats: [ChatService]

    func client(on node: Int) throws -> ChatClusterClient {
        let sink = RecordingSink()
        let connection = try #require(hubs[node].connect(sink))
        return ChatClusterClient(node: node, hub: hubs[node], connection: connection, sink: sink)
    }

    /// A ledger of the cluster as another node (`nodeID`) would open it.
    func ledger(nodeID: String) throws -> RedisChatLedger {
        try RedisChatLedger(
            configuration: try RedisConfiguration(url: url), namespace: namespace, nodeID: nodeID, logger: Logger(label: "chat-cluster"))
    }
}

/// A client of one node, through a recording transport.
struct ChatClusterClient: Sendable {
    let node: Int
    let hub: ConnectionHub
    let connection: Connection
    let sink: RecordingSink

    var clientID: String { connection.id.rawValue }

    func send(_ type: String, _ fields: [String: JSONValue] = [:]) {
        var object = fields
        object["type"] = .string(type)
        hub.receive(text: JSONValue.object(object).jsonString, from: connection)
    }

    func frames(_ type: String) -> [JSONValue] { sink.messages(ofType: type) }

    func frames(_ type: String, in room: String) -> [JSONValue] {
        sink.messages(ofType: type).filter { $0["room"]?.stringValue == room }
    }

    /// Creates `room` and waits for `room_created`.
    func create(_ room: String, _ fields: [String: JSONValue] = [:]) async throws {
        var fields = fields
        fields["room"] = .string(room)
        send("create_room", fields)
        try await waitUntil("room \(room) created on node \(node)") {
            !frames("room_created", in: room).isEmpty || !sink.errorCodes.isEmpty
        }
        #expect(sink.errorCodes.isEmpty, "create_room: \(sink.errorCodes)")
    }

    /// Joins `room` and waits for `room_joined`.
    @discardableResult
    func join(_ room: String, as user: String) async throws -> JSONValue {
        send("join_room", ["room": .string(room), "user": .string(user)])
        try await waitUntil("\(user) joined \(room) on node \(node)") { !frames("room_joined", in: room).isEmpty }
        return frames("room_joined", in: room).last!
    }

    func say(_ content: String, in room: String) {
        send("chat_message", ["room": .string(room), "content": .string(content)])
    }

    /// `(seq, sender, content)` of the `chat_message`s of `room`, in arrival order.
    func messages(in room: String) -> [(seq: Int, sender: String, content: String)] {
        frames("chat_message", in: room).compactMap { frame in
            guard let seq = frame["seq"]?.intValue else { return nil }
            return (seq, frame["sender"]?.stringValue ?? "", frame["content"]?.stringValue ?? "")
        }
    }

    /// The text of `stream`'s chunks so far.
    func chunkText(of stream: String) -> String {
        frames("response_chunk").filter { $0["stream"]?.stringValue == stream }.compactMap { $0["content"]?.stringValue }.joined()
    }
}

/// Runs `body` with `nodes` chat services on the shared Redis; the room's agent answers on `model`.
func withChatCluster(
    nodes: Int, model: any ModelProvider = ScriptedModelProvider(), options: ChatOptions = ChatOptions(),
    timing: ChatClusterTiming = ChatClusterTiming(), redisURL: String? = nil, tracer: (any Tracer)? = nil,
    _ body: @Sendable (ChatTestCluster) async throws -> Void
) async throws {
    let url = if let redisURL { redisURL } else { try await SharedRedisServer.url() }
    let namespace = SharedRedisServer.freshNamespace("chat")
    var hubs: [ConnectionHub] = []
    var chats: [ChatService] = []
    var ledgers: [RedisChatLedger] = []
    let agents = ["assistant": Agent(name: "assistant", instructions: "Be helpful."), "support": Agent(name: "support", instructions: "Help.")]
    for index in 0..<nodes {
        let hub = ConnectionHub(streams: AgentStreamService(runner: AgentRunner(provider: model), agents: { agents[$0] }))
        let ledger = try RedisChatLedger(
            configuration: try RedisConfiguration(url: url), namespace: namespace, nodeID: "node-\(index + 1)",
            logger: Logger(label: "chat-cluster"))
        let chat = ChatService(
            hub: hub, runner: AgentRunner(provider: model, tracer: tracer),
            store: try RedisChatStore(configuration: try RedisConfiguration(url: url), namespace: namespace), agents: agents,
            options: options,
            ledger: ledger, clusterTiming: timing)
        hubs.append(hub)
        chats.append(chat)
        ledgers.append(ledger)
    }
    let cluster = ChatTestCluster(namespace: namespace, url: url, hubs: hubs, chats: chats)
    try await withThrowingTaskGroup(of: Void.self) { group in
        for hub in hubs { group.addTask { await hub.run() } }
        for chat in chats { group.addTask { await chat.run() } }
        defer {
            for chat in chats { chat.shutdown() }
            for hub in hubs { hub.shutdown() }
        }
        try await body(cluster)
    }
    for ledger in ledgers { await ledger.close() }
}

extension JSONValue {
    /// The elements when this is an array, else `nil`.
    var items: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }
}
