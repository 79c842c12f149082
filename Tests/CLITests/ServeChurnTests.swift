import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import StreamingTestSupport
import Testing

/// A `serve` process gives back its file descriptors once the connections that churned
/// through it are gone: counted in /proc for the real process, with Python's websockets as
/// the clients (clean closes and cuts in the middle of a stream).
@Suite("raaf-streaming serve under connection churn", .serialized)
struct ServeChurnTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("WebSocketTests/Interop/interop.py")

    static func openDescriptors(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    static func connections(_ url: String) async throws -> Int? {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/stats"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
        return json?["connections"] as? Int
    }

    @Test("descriptors return to their baseline after 90 connections that stream and close or are cut")
    func descriptorsReturn() async throws {
        let python = try #require(ChildProcess.find("python3"), "needs python3 with websockets")
        let serve = try ServeProcess.start(["--host", "127.0.0.1", "--port", "0"])
        defer { serve.send(SIGKILL) }
        let url = try await ServeProcess.url(of: serve)
        let ws = url.replacingOccurrences(of: "http://", with: "ws://") + "/ws"
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        // A first round opens whatever the server keeps for good (the SQLite-free chat store,
        // the event loops' buffers); the baseline is taken after it.
        let warmup = try await ChildProcess.run(python, [Self.script.path, "churn", ws, "6", "clean,cut"], environment: environment)
        #expect(warmup.status == 0, "\(warmup.stdout)\(warmup.stderr)")
        try await waitUntil("the warm-up connections to close") { (try? await Self.connections(url)) == 0 }
        let baseline = Self.openDescriptors(serve.pid)

        let run = try await ChildProcess.run(python, [Self.script.path, "churn", ws, "90", "clean,cut"], environment: environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        try await waitUntil("the server to see every connection close") { (try? await Self.connections(url)) == 0 }
        // A cut connection (no closing handshake) counts as closed at once, not when the
        // heartbeat (30 s here) finds it silent.
        try? await waitUntil("the descriptors to return to \(baseline)") { Self.openDescriptors(serve.pid) <= baseline }
        #expect(Self.openDescriptors(serve.pid) <= baseline)
    }
}
