// Server memory per idle connection: resident memory of this process (the server) before
// and after a separate Python process opens N idle WebSocket connections.
import Foundation

enum IdleMemory {
    static func measure(port: Int, connections: Int, openConnections: @escaping () -> Int) async throws -> Int {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("idle_clients.py").path
        // Warm up: let the allocator and NIO reach their steady state with a first batch.
        let warmup = try Child(["python3", script, String(port), "200"])
        _ = warmup.line(startingWith: "ready")
        warmup.stop()
        try await FanOut.waitFor { openConnections() == 0 }
        let before = ProcFS.residentBytes()
        let clients = try Child(["python3", script, String(port), String(connections)])
        defer { clients.stop() }
        guard clients.line(startingWith: "ready") != nil else { throw LoadError.closed }
        try await FanOut.waitFor { openConnections() >= connections }
        try await Task.sleep(for: .seconds(1))
        let after = ProcFS.residentBytes()
        return (after - before) / connections
    }
}
