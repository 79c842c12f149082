import AsyncHTTPClient
import Foundation
import HummingbirdWSClient
import Logging
import RAAFStreaming
import StreamingTestSupport
import Testing

/// `config.agents`: a program's own agents, served by name by `RealtimeServer`.
@Suite("Own agents served by RealtimeServer")
struct OwnAgentsTests {
    struct Query: Decodable, Sendable { var query: String }

    static let lookupOrder = Tool(
        name: "lookup_order", description: "Look up an order.",
        parameters: ["type": "object", "properties": ["query": ["type": "string"]]]
    ) { (arguments: Query) async throws -> String in "order \(arguments.query) shipped" }

    static let orders = Agent(name: "orders", instructions: "Orders.", tools: [lookupOrder])
    /// Names its target by a placeholder: the handoff resolves to the registered `orders`.
    static let triage = Agent(name: "triage", instructions: "Triage.", handoffs: [Agent(name: "orders")])

    @Test("SSE and WebSocket stream the configured agents; the demo agents are not served; chat rooms offer them")
    func servedByName() async throws {
        try await HTTPTestServer.with({ $0.agents = [Self.triage, Self.orders] }) { server in
            // SSE: the agent's own tool runs.
            let (response, events) = try await server.stream(agent: "orders", input: "lookup_order A-7")
            #expect(response.status == .ok)
            let outputs = try events.filter { $0.event == "tool_output" }.map { try $0.json()["output"] as? String }
            #expect(outputs == ["order A-7 shipped"])
            #expect(events.last?.event == "complete")

            // A demo agent is unknown here.
            let unknown = try await server.post("/v1/agents/assistant/stream", json: HTTPTestServer.requestBody(input: "hi"))
            #expect(unknown.status == .notFound)
            #expect(try await unknown.json()["code"] as? String == "not_found")

            // WebSocket: triage hands off to the registered orders agent, whose tool then runs.
            let wsURL = server.baseURL.replacingOccurrences(of: "http://", with: "ws://") + "/ws"
            let types = Locked<[String]>([])
            try await WebSocketClient.connect(url: wsURL, logger: Logger(label: "ws-test-client")) { inbound, outbound, _ in
                try await outbound.write(
                    .text(#"{"type":"agent_stream","id":"s1","agent":"triage","input":"transfer me to orders"}"#))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message,
                        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                        object["id"] as? String == "s1", let type = object["type"] as? String
                    else { continue }
                    types.withLock { $0.append(type) }
                    if type == "handoff" { #expect(object["to"] as? String == "orders") }
                    if ["complete", "error"].contains(type) { break }
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
            #expect(types.value.contains("handoff"))
            #expect(types.value.last == "complete")

            #expect(server.server.chat.stats.availableAgents == ["orders", "triage"])
        }
    }

    @Test("without config.agents the demo agents are served")
    func demoAgentsByDefault() throws {
        let system = try Streaming.configure(environment: [:])
        #expect(system.agents.keys.sorted() == ["assistant", "support"])
    }
}
