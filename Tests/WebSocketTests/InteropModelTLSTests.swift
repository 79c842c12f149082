import Foundation
import Glibc
import RAAFStreaming
import StreamingTestSupport
import Testing

extension InteropTests {
    /// `raaf-streaming serve` in front of a model server over TLS (Interop/model_tls.py:
    /// Hypercorn, an independent HTTP/1.1 and HTTP/2 server, with a certificate signed by a CA
    /// made for the run and trusted through `OPENAI_CA_FILE`). The model server records each
    /// request's HTTP version and TCP connection, so what is asserted is what crossed the wire:
    /// streams at once share one HTTP/2 connection (up to `provider.max_streams_per_connection`,
    /// then another), and requests one after another reuse the connection kept alive.
    @Suite("The model provider over TLS: HTTP/2 streams on one connection, connections kept alive", .needsHypercorn)
    struct ModelTLS {
        /// A CA and a certificate for 127.0.0.1 in a fresh folder, made with openssl.
        static func certificates() async throws -> URL {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("model-tls-\(UUID().uuidString)")
            let output = try await PythonWebSockets.run("tls_certificates", url: "-", [folder.path])
            try #require(output.status == 0, "\(output.transcript)")
            return folder
        }

        /// Runs `count` streams at once, then `sequential` one after another, through `serve`
        /// in front of the TLS model server; returns the model server's view of both rounds.
        static func run(
            alpn: String, count: Int, sequential: Int, serverMaxStreams: Int = 100, trustCA: Bool = true,
            _ environment: [String: String] = [:]
        ) async throws -> (concurrent: JSONValue, sequential: JSONValue) {
            let result = try await scenario("tls_model_streams", trustCA: trustCA, environment) { modelPort, folder in
                [String(modelPort), folder, alpn, String(count), String(sequential), String(serverMaxStreams)]
            }
            return (try #require(result["concurrent"]), try #require(result["sequential"]))
        }

        /// Runs a scenario of Interop/model_tls.py against `serve` in front of the TLS model
        /// server; `arguments` gets the model's port and the certificates' folder. Checks that
        /// `serve` ends with no model request in flight; returns the scenario's findings.
        static func scenario(
            _ name: String, trustCA: Bool = true, _ environment: [String: String],
            arguments: (Int, String) -> [String]
        ) async throws -> JSONValue {
            let folder = try await certificates()
            defer { try? FileManager.default.removeItem(at: folder) }
            // The model's port is chosen free before the model server binds it, and a test
            // running beside this one can take it in between: then try another port.
            var attempt = 1
            while true {
                let modelPort = try Loopback.freePort()
                var env = environment
                env["OPENAI_BASE_URL"] = "https://127.0.0.1:\(modelPort)/v1"
                if trustCA { env["OPENAI_CA_FILE"] = folder.appendingPathComponent("ca.pem").path }
                let (server, url) = try await ModelLoad.serve(modelPort: modelPort, env)
                let ws = url.replacingOccurrences(of: "http://", with: "ws://") + "/ws"
                let output = try await BackgroundScenario.run(name, url: ws, arguments(modelPort, folder.path)) { scenario in
                    try await scenario.finish(timeout: .seconds(180))
                }
                if output.status != 0, output.stdout.contains("Address already in use"), attempt < 3 {
                    server.send(SIGKILL)
                    attempt += 1
                    continue
                }
                defer { server.send(SIGKILL) }
                return try await check(name, output, server: server, url: url)
            }
        }

        /// The scenario's findings, once `serve` is seen to end with no model request in flight.
        static func check(_ name: String, _ output: ChildProcess.Output, server: RunningChild, url: String) async throws
            -> JSONValue
        {
            #expect(output.status == 0, "\(output.transcript)")
            let result = try #require(output.result, "\(output.transcript)")
            print("\(name): \(output.stdout.split(separator: "\n").last ?? "")")
            let stats = try #require(try await ModelLoad.modelStats(url))
            #expect(stats["in_flight"]?.intValue == 0)
            #expect(stats["queue_timeouts"]?.intValue == 0)
            server.send(SIGTERM)
            #expect(try await server.waitForExit() == 0)
            return result
        }

        static func connections(_ round: JSONValue) -> [JSONValue] {
            if case .array(let connections)? = round["connections"] { connections } else { [] }
        }

        @Test("HTTP/2 over TLS: 50 streams at once arrive as streams of one TCP connection; 3 more one after another reuse it")
        func http2StreamsShareOneConnection() async throws {
            let (concurrent, sequential) = try await Self.run(alpn: "h2", count: 50, sequential: 3)
            #expect(concurrent["http_versions"] == .array([.string("2")]))
            #expect(concurrent["max_in_flight"]?.intValue == 50)
            #expect(Self.connections(concurrent).count == 1, "\(concurrent)")
            #expect(concurrent["completed"]?.intValue == 50)
            #expect(concurrent["error_codes"] == .array([]))
            #expect(concurrent["texts_ok"]?.boolValue == true)
            #expect(sequential["http_versions"] == .array([.string("2")]))
            #expect(sequential["completed"]?.intValue == 3)
            #expect(sequential["new_connections"] == .array([]), "\(sequential)")
            #expect(Self.connections(sequential) == Self.connections(concurrent))
        }

        @Test("HTTP/2 past the server's stream cap: 25 streams, 10 a connection, go out on 3 connections and none fails")
        func http2PastTheStreamCap() async throws {
            // Hypercorn allows 10 streams a connection here; the provider is told so. Without
            // the second and third connections, 15 requests would wait in the HTTP client's
            // pool and fail after the connect timeout.
            let (concurrent, sequential) = try await Self.run(
                alpn: "h2", count: 25, sequential: 2, serverMaxStreams: 10, ["OPENAI_MAX_STREAMS_PER_CONNECTION": "10"])
            #expect(concurrent["http_versions"] == .array([.string("2")]))
            #expect(concurrent["max_in_flight"]?.intValue == 25)
            #expect(Self.connections(concurrent).count == 3, "\(concurrent)")
            #expect((concurrent["max_in_flight_per_connection"]?.intValue ?? 99) <= 10)
            #expect(concurrent["completed"]?.intValue == 25)
            #expect(concurrent["error_codes"] == .array([]), "\(concurrent)")
            #expect(sequential["completed"]?.intValue == 2)
            #expect(sequential["new_connections"] == .array([]), "\(sequential)")
            #expect(Self.connections(sequential).count == 1)
        }

        @Test("HTTP/2: 5 streams cancelled at their first chunk reset their streams and give their places back at once; 5 more at once fit on the same connection")
        func cancelledStreamsGiveTheirPlacesBack() async throws {
            // 5 streams a connection: had a cancelled request kept its place, the second round
            // would need a second connection.
            let result = try await Self.scenario("tls_model_cancel", ["OPENAI_MAX_STREAMS_PER_CONNECTION": "5"]) { port, folder in
                [String(port), folder, "5"]
            }
            let cancelled = try #require(result["cancelled"])
            let after = try #require(result["after"])
            #expect(cancelled["http_versions"] == .array([.string("2")]))
            #expect(cancelled["error_codes"] == .array(Array(repeating: .string("cancelled"), count: 5)))
            #expect(cancelled["disconnects"]?.intValue == 5, "the model server saw every stream reset: \(cancelled)")
            #expect(Self.connections(cancelled).count == 1)
            #expect(after["completed"]?.intValue == 5)
            #expect(after["new_connections"] == .array([]), "\(after)")
            #expect(Self.connections(after) == Self.connections(cancelled))
        }

        @Test("a model server whose certificate is not trusted: each stream ends with connection (the verification failure), nothing reaches the model")
        func untrustedCertificate() async throws {
            let (concurrent, _) = try await Self.run(
                alpn: "h2", count: 2, sequential: 0, trustCA: false, ["OPENAI_CONNECT_TIMEOUT": "1"])
            #expect(concurrent["requests"]?.intValue == 0)
            #expect(concurrent["error_codes"] == .array([.string("connection"), .string("connection")]))
            guard case .array(let errors)? = concurrent["errors"], let error = errors.first?.stringValue else {
                Issue.record("no error message: \(concurrent)")
                return
            }
            #expect(error.contains("CERTIFICATE_VERIFY_FAILED"), "\(error)")
        }

        @Test("HTTP/1.1 over TLS (the server offers no h2): 4 at once on 4 connections; 3 after them reuse a kept-alive one")
        func http1KeepAliveOverTLS() async throws {
            let (concurrent, sequential) = try await Self.run(alpn: "http1", count: 4, sequential: 3)
            #expect(concurrent["http_versions"] == .array([.string("1.1")]))
            #expect(concurrent["max_in_flight"]?.intValue == 4)
            #expect(Self.connections(concurrent).count == 4)
            #expect(concurrent["completed"]?.intValue == 4)
            #expect(sequential["http_versions"] == .array([.string("1.1")]))
            #expect(sequential["completed"]?.intValue == 3)
            #expect(sequential["new_connections"] == .array([]), "\(sequential)")
            #expect(Self.connections(sequential).count == 1, "one connection carried the three: \(sequential)")
        }
    }
}

/// Hypercorn (PyPI `hypercorn`, HTTP/2 with `h2`) and openssl, for the TLS model server.
enum Hypercorn {
    static let requirement =
        "needs python3 with hypercorn 0.18 and websockets, and openssl (`pip install hypercorn==0.18.0`, done by scripts/install-deps.sh)"

    static func isAvailable() async -> Bool { await availability.value }

    private static let availability = Task<Bool, Never> {
        guard await PythonWebSockets.isAvailable(), ChildProcess.find("openssl") != nil,
            let python = ChildProcess.find("python3")
        else { return false }
        let output = try? await ChildProcess.run(
            python, ["-c", "import hypercorn.asyncio, h2"], environment: ProcessInfo.processInfo.environment)
        return output?.status == 0
    }
}

extension Trait where Self == ConditionTrait {
    /// Skips the suite, saying why, when Hypercorn or openssl is missing.
    static var needsHypercorn: Self {
        .enabled(Comment(rawValue: Hypercorn.requirement)) { await Hypercorn.isAvailable() }
    }
}
