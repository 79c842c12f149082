import AsyncHTTPClient
import Foundation
import HummingbirdWSClient
import InMemoryTracing
import Logging
import RAAFStreaming
import StreamingTestSupport
import Testing
import Tracing

/// A WebSocket `agent_stream` and an SSE request are spans that parent their run.
@Suite("Transport spans")
struct TransportTracingTests {
    static func attribute(_ span: FinishedInMemorySpan, _ key: String) -> String? {
        if case .string(let value) = span.attributes[key]?.toSpanAttribute() { return value }
        return nil
    }

    @Test("an SSE request and a WebSocket agent_stream each get an agent_stream span parenting the run")
    func streamSpans() async throws {
        let tracer = InMemoryTracer()
        try await HTTPTestServer.with(tracer: tracer) { server in
            let (_, events) = try await server.stream(agent: "support", input: "hello", id: "sse-1")
            #expect(events.last?.event == "complete")

            let wsURL = server.baseURL.replacingOccurrences(of: "http://", with: "ws://") + "/ws"
            try await WebSocketClient.connect(url: wsURL, logger: Logger(label: "ws-test-client")) { inbound, outbound, _ in
                try await outbound.write(.text(#"{"type":"agent_stream","id":"ws-1","agent":"assistant","input":"weather in Lima"}"#))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    if text.contains(#""type":"complete""#) { break }
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
            try await waitUntil("both stream spans to end") {
                tracer.finishedSpans.filter { $0.operationName.hasPrefix("agent_stream") }.count == 2
            }
            let spans = tracer.finishedSpans
            for (id, transport, agent) in [("sse-1", "sse", "support"), ("ws-1", "websocket", "assistant")] {
                let stream = try #require(spans.first { Self.attribute($0, "raaf.stream.id") == id && $0.operationName.hasPrefix("agent_stream") })
                #expect(stream.operationName == "agent_stream \(agent)")
                #expect(stream.kind == .server)
                #expect(Self.attribute(stream, "raaf.transport") == transport)
                let run = try #require(spans.first { $0.operationName == "invoke_agent \(agent)" && $0.parentSpanID == stream.spanID })
                #expect(run.traceID == stream.traceID)
                #expect(spans.contains { $0.operationName.hasPrefix("chat ") && $0.parentSpanID == run.spanID })
            }
            let tool = try #require(spans.first { $0.operationName == "execute_tool get_weather" })
            #expect(spans.contains { $0.spanID == tool.parentSpanID && $0.operationName == "invoke_agent assistant" })
        }
    }
}
