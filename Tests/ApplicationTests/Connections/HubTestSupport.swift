import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Testing

/// Builds hubs and agent-stream services the way the composition layer does, on the offline model.
enum HubFixture {
    static let assistant = Agent(name: "assistant", instructions: "Be helpful.")

    static func service(
        provider: any ModelProvider = ScriptedModelProvider(),
        options: AgentStreamOptions = AgentStreamOptions(),
        agents: [Agent] = [assistant]
    ) -> AgentStreamService {
        let byName = Dictionary(uniqueKeysWithValues: agents.map { ($0.name, $0) })
        return AgentStreamService(runner: AgentRunner(provider: provider), agents: { byName[$0] }, options: options)
    }

    static func hub(
        options: ConnectionHubOptions = ConnectionHubOptions(),
        streams: AgentStreamService = service(),
        authenticate: (@Sendable (String) -> String?)? = nil
    ) -> ConnectionHub {
        ConnectionHub(options: options, streams: streams, authenticate: authenticate)
    }

    /// What the offline model answers `input` with, run directly without a hub.
    static func directAnswer(_ input: String, agent: Agent = assistant) async throws -> String {
        try await AgentRunner(provider: ScriptedModelProvider()).run(agent, input).finalOutput
    }
}

/// One client of a hub: its connection and the recording transport behind it.
struct TestClient {
    let hub: ConnectionHub
    let connection: Connection
    let sink: RecordingSink

    var id: ConnectionID { connection.id }

    /// Sends one text message, as the transport would hand it to the hub.
    func send(_ text: String) {
        hub.receive(text: text, from: connection)
    }

    /// Sends `value` as JSON text.
    func send(_ value: JSONValue) {
        send(value.jsonString)
    }

    /// The frames of agent stream `id` (those with a `seq`), in arrival order.
    func streamFrames(_ id: String) -> [JSONValue] {
        sink.messages.filter { $0["id"]?.stringValue == id && $0["seq"] != nil }
    }

    /// Whether stream `id` has ended (`complete` or `error`) on this client.
    func hasFinished(_ id: String) -> Bool {
        streamFrames(id).contains { ["complete", "error"].contains($0["type"]?.stringValue) }
    }

    /// Waits until stream `id` has ended on this client.
    func waitForEnd(of id: String, timeout: Duration = .seconds(30)) async throws {
        let sink = sink
        try await waitUntil(timeout: timeout, "stream \(id) to end") {
            sink.messages.contains { $0["id"]?.stringValue == id && ["complete", "error"].contains($0["type"]?.stringValue) }
        }
    }

    /// Waits until this client has received at least `count` frames of stream `id`.
    func waitForFrames(of id: String, count: Int, timeout: Duration = .seconds(30)) async throws {
        let sink = sink
        try await waitUntil(timeout: timeout, "\(count) frames of stream \(id)") {
            sink.messages.count { $0["id"]?.stringValue == id && $0["seq"] != nil } >= count
        }
    }
}

extension ConnectionHub {
    /// Connects a recording client; records an issue and throws if the hub refuses it.
    func connectClient(info: ConnectionInfo = ConnectionInfo()) throws -> TestClient {
        let sink = RecordingSink()
        let connection = try #require(connect(sink, info: info))
        return TestClient(hub: self, connection: connection, sink: sink)
    }
}

/// Runs `hub` (heartbeats and agent streams) around `body`, then shuts it down and waits
/// for `run()` to return, as the server's lifecycle does.
func withRunningHub<Result: Sendable>(
    _ hub: ConnectionHub,
    _ body: () async throws -> Result
) async throws -> Result {
    async let running: Void = hub.run()
    do {
        let result = try await body()
        hub.shutdown()
        await running
        return result
    } catch {
        hub.shutdown()
        await running
        throw error
    }
}

/// The `seq` numbers of stream frames.
func seqs(_ frames: [JSONValue]) -> [Int] {
    frames.compactMap { $0["seq"]?.intValue }
}

/// The answer text carried by `response_chunk` frames, concatenated.
func chunkText(_ frames: [JSONValue]) -> String {
    frames.filter { $0["type"] == "response_chunk" }.compactMap { $0["content"]?.stringValue }.joined()
}
