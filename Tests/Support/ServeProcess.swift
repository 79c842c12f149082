import Foundation

/// `raaf-streaming serve` started the way an operator starts it, for a test.
public enum ServeProcess {
    /// Starts `raaf-streaming serve ARGUMENTS` with this environment's model, Redis and
    /// WebSocket address variables removed, chat rooms in memory (no raaf-chat.sqlite left
    /// behind) and an instant model (`RAAF_SIMULATION_DELAY_MS=0`), then `environment` added.
    /// Pass `"RAAF_SIMULATION_DELAY_MS": ""` for the command's own pace, as a person gets it.
    public static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> RunningChild {
        var env = ProcessInfo.processInfo.environment
        for name in [
            "OPENAI_API_KEY", "OPENAI_BASE_URL", "RAAF_MODEL", "REDIS_URL", "WEBSOCKET_HOST", "WEBSOCKET_PORT",
            "WEBSOCKET_AUTH_TOKENS",
        ] {
            env[name] = nil
        }
        env["CHAT_STORE"] = "memory"
        env["RAAF_SIMULATION_DELAY_MS"] = "0"
        env.merge(environment) { _, new in new }
        return try RunningChild(try ChildProcess.built("raaf-streaming"), ["serve"] + arguments, environment: env)
    }

    /// The URL of the line `listening on URL`, once it is written.
    public static func url(of child: RunningChild) async throws -> String {
        let line = try await child.line(containing: "listening on http://")
        guard let url = line.split(separator: " ").last, url.hasPrefix("http://") else {
            throw Unexpected(line: line)
        }
        return String(url)
    }

    public struct Unexpected: Error, CustomStringConvertible {
        public var line: String
        public var description: String { "not a \"listening on URL\" line: \(line)" }
    }
}
