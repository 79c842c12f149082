import AsyncHTTPClient
import Foundation
import Glibc
import RAAFStreaming
import StreamingTestSupport
import Testing

extension InteropTests {
    /// `raaf-streaming serve` in front of a real HTTP model server (Interop/model_load.py) with
    /// many clients at once (Python `websockets`): as many model requests run at once as
    /// `provider.max_connections` allows, and those past it wait, then fail with `server_busy`.
    ///
    /// The model server is gated: it holds every answer until the expected number of requests
    /// is open at once, then sends each first chunk (2 ms apart, in arrival order), then waits
    /// for the test's `release` before streaming the rest. So the limit, not timing, decides
    /// what the model server sees.
    @Suite("Many streams through serve against a gated model server")
    struct ModelLoad {
        /// `serve` on a free port, its model at `http://127.0.0.1:MODEL_PORT/v1`.
        static func serve(modelPort: Int, _ environment: [String: String]) async throws -> (RunningChild, String) {
            var env = ProcessInfo.processInfo.environment
            for name in [
                "OPENAI_API_KEY", "OPENAI_MAX_CONNECTIONS", "OPENAI_QUEUE_TIMEOUT", "OPENAI_CONNECT_TIMEOUT", "OPENAI_CA_FILE",
                "OPENAI_MAX_STREAMS_PER_CONNECTION", "REDIS_URL",
                "WEBSOCKET_HOST", "WEBSOCKET_PORT", "RAAF_LOG_LEVEL",
            ] {
                env[name] = nil
            }
            env["CHAT_STORE"] = "memory"
            env["OPENAI_BASE_URL"] = "http://127.0.0.1:\(modelPort)/v1"
            env.merge(environment) { _, new in new }
            let child = try RunningChild(
                try ChildProcess.built("raaf-streaming"), ["serve", "--host", "127.0.0.1", "--port", "0"],
                environment: env)
            do {
                let line = try await child.line(containing: "listening on http://")
                return (child, String(try #require(line.split(separator: " ").last)))
            } catch {
                child.send(SIGKILL)
                throw error
            }
        }

        /// The `model` section of the server's `/stats`.
        static func modelStats(_ url: String) async throws -> JSONValue? {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/stats"), timeout: .seconds(10))
            let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
            return try JSONValue(parsing: body)["model"]
        }

        static func metrics(_ url: String) async throws -> String {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/metrics"), timeout: .seconds(10))
            return String(buffer: try await response.body.collect(upTo: 1 << 20))
        }

        @Test("200 streams at once: the model server sees 200 requests in flight, each first token reaches its client within 500 ms")
        func twoHundredStreamsAtOnce() async throws {
            let count = 200
            let modelPort = try Loopback.freePort()
            let (server, url) = try await Self.serve(modelPort: modelPort, [:])
            defer { server.send(SIGKILL) }
            let ws = url.replacingOccurrences(of: "http://", with: "ws://") + "/ws"
            try await BackgroundScenario.run(
                "gated_model_streams", url: ws, ["\(modelPort)", "\(count)", "\(count)"]
            ) { scenario in
                try await scenario.waitFor("streaming", timeout: .seconds(120))
                // Every answer has begun and none has ended: all 200 hold a connection. (Not
                // fatal when it never happens: the scenario's findings below say more.)
                try? await waitUntil(timeout: .seconds(30), "the provider to report 200 first tokens") {
                    (try? await Self.modelStats(url))?["first_tokens"]?.intValue == count
                }
                let stats = try #require(try await Self.modelStats(url))
                #expect(stats["first_tokens"]?.intValue == count)
                #expect(stats["in_flight"]?.intValue == count)
                #expect(stats["waiting"]?.intValue == 0)
                #expect(stats["max_connections"]?.intValue == 1_000)
                #expect(stats["queue_timeouts"]?.intValue == 0)
                let metrics = try await Self.metrics(url)
                #expect(metrics.contains("raaf_model_requests_in_flight 200.0"))
                #expect(metrics.contains("raaf_model_first_tokens_total 200"))
                try scenario.signal("release")

                let output = try await scenario.finish(timeout: .seconds(180))
                #expect(output.status == 0, "\(output.transcript)")
                let result = try #require(output.result, "\(output.transcript)")
                print("200 streams through serve: \(result)")
                #expect(result["gate_opened"]?.boolValue == true)
                #expect(result["max_in_flight"]?.intValue == count)
                #expect(result["completed"]?.intValue == count)
                #expect(result["error_codes"] == .array([]))
                #expect(result["texts_ok"]?.boolValue == true)
                #expect(result["first_chunks"]?.intValue == count)
                let slowest = try #require(result["max_first_chunk_delay_ms"]?.doubleValue)
                #expect(slowest < 500, "a first token took \(slowest) ms from the model to its client")
            }
            let after = try #require(try await Self.modelStats(url))
            #expect(after["in_flight"]?.intValue == 0)
            server.send(SIGTERM)
            #expect(try await server.waitForExit() == 0)
        }

        @Test("max_connections 4: the fifth and sixth streams wait, then end with server_busy after queue_timeout; the next four reuse the kept-alive connections")
        func limitAndQueueTimeout() async throws {
            let modelPort = try Loopback.freePort()
            let (server, url) = try await Self.serve(
                modelPort: modelPort, ["OPENAI_MAX_CONNECTIONS": "4", "OPENAI_QUEUE_TIMEOUT": "0.5"])
            defer { server.send(SIGKILL) }
            let ws = url.replacingOccurrences(of: "http://", with: "ws://") + "/ws"
            try await BackgroundScenario.run(
                "gated_model_streams", url: ws, ["\(modelPort)", "6", "4", "0.3", "4"]
            ) { scenario in
                try await scenario.waitFor("streaming", timeout: .seconds(60))
                // The four answers are held open; the other two wait past their timeout.
                try await waitUntil(timeout: .seconds(30), "two queue timeouts") {
                    (try? await Self.modelStats(url))?["queue_timeouts"]?.intValue == 2
                }
                let stats = try #require(try await Self.modelStats(url))
                #expect(stats["in_flight"]?.intValue == 4)
                #expect(stats["waiting"]?.intValue == 0)
                #expect(stats["max_connections"]?.intValue == 4)
                #expect(try await Self.metrics(url).contains("raaf_model_queue_timeouts_total 2"))
                try scenario.signal("release")

                let output = try await scenario.finish(timeout: .seconds(60))
                #expect(output.status == 0, "\(output.transcript)")
                let result = try #require(output.result, "\(output.transcript)")
                #expect(result["max_in_flight"]?.intValue == 4)
                #expect(result["model_connections_after_first_round"]?.intValue == 4)
                #expect(result["completed"]?.intValue == 4)
                #expect(result["error_codes"] == .array([.string("server_busy"), .string("server_busy")]))
                // Four more streams after the first ones ended: four more requests, on the four
                // connections already open (kept alive), none new.
                #expect(result["second_round_completed"]?.intValue == 4)
                #expect(result["model_requests"]?.intValue == 8)
                #expect(result["model_connections"]?.intValue == 4)
            }
        }
    }
}
