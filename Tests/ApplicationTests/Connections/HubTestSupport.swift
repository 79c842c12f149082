import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Synchronization
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

/// A provider that wraps another and records whether its deltas were cut off by cancellation.
///
/// Wrapping a ``SimulatedProvider`` with a long delay gives a model that is certainly waiting
/// inside `next()` once ``pulls`` exceeds ``deltas``, so a cancel must reach it.
final class CancellationProbe: ModelProvider {
    let base: any ModelProvider
    private let state = Mutex((requests: 0, pulls: 0, deltas: 0, cancelled: false))

    init(_ base: any ModelProvider) {
        self.base = base
    }

    var requests: Int { state.withLock { $0.requests } }
    /// Calls to the deltas' `next()` so far: once it is above the deltas delivered, the run waits on the model.
    var pulls: Int { state.withLock { $0.pulls } }
    var deltas: Int { state.withLock { $0.deltas } }
    var wasCancelled: Bool { state.withLock { $0.cancelled } }

    func stream(_ request: ModelRequest) async throws -> ModelResponseStream {
        state.withLock { $0.requests += 1 }
        let upstream = try await base.stream(request)
        return ModelResponseStream(Probed(upstream: upstream, probe: self))
    }

    fileprivate func pulled() { state.withLock { $0.pulls += 1 } }
    fileprivate func delivered() { state.withLock { $0.deltas += 1 } }
    fileprivate func cancelled() { state.withLock { $0.cancelled = true } }

    private struct Probed: AsyncSequence {
        typealias Element = ModelDelta
        let upstream: ModelResponseStream
        let probe: CancellationProbe

        func makeAsyncIterator() -> Iterator { Iterator(upstream: upstream.makeAsyncIterator(), probe: probe) }

        struct Iterator: AsyncIteratorProtocol {
            var upstream: ModelResponseStream.AsyncIterator
            let probe: CancellationProbe
            /// Counts a stream dropped before its end as cancelled too: a run cancelled between
            /// two pulls stops without the model seeing a CancellationError.
            let lifetime: Lifetime

            init(upstream: ModelResponseStream.AsyncIterator, probe: CancellationProbe) {
                self.upstream = upstream
                self.probe = probe
                self.lifetime = Lifetime(probe: probe)
            }

            mutating func next() async throws -> ModelDelta? {
                probe.pulled()
                do {
                    let delta = try await upstream.next()
                    if delta != nil { probe.delivered() } else { lifetime.ended = true }
                    return delta
                } catch is CancellationError {
                    probe.cancelled()
                    throw CancellationError()
                }
            }
        }

        final class Lifetime {
            let probe: CancellationProbe
            var ended = false

            init(probe: CancellationProbe) { self.probe = probe }

            deinit {
                if !ended { probe.cancelled() }
            }
        }
    }
}
