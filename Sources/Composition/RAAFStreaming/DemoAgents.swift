#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StreamingDomain

/// The built-in demo agents that `raaf-streaming chat` and the examples use:
/// `assistant` (tools `get_weather` and `get_time`, and a handoff to `support`) and `support`.
public enum DemoAgents {
    /// A customer-support agent; the assistant hands conversations to it.
    public static let support = Agent(
        name: "support",
        instructions: "You are the support agent. Help with accounts, billing and problems; be brief and kind.",
        handoffDescription: "Handles account, billing and technical problems."
    )

    /// A general assistant with two tools and a handoff to ``support``.
    public static let assistant = Agent(
        name: "assistant",
        instructions: """
            You are a helpful assistant. Use get_weather for weather questions and get_time for the time. \
            Transfer the user to support for account or billing problems.
            """,
        tools: [getWeather, getTime],
        handoffs: [support]
    )

    /// Every demo agent by name.
    public static let all: [String: Agent] = [assistant.name: assistant, support.name: support]

    struct WeatherArguments: Decodable, Sendable {
        var city: String
    }

    /// `get_weather(city)`: a made-up but stable forecast, so the demo needs no network.
    public static let getWeather = Tool(
        name: "get_weather",
        description: "Get the current weather in a city.",
        parameters: [
            "type": "object",
            "properties": ["city": ["type": "string", "description": "The city name, e.g. Paris."]],
            "required": ["city"],
        ]
    ) { (arguments: WeatherArguments) async throws -> String in
        let city = arguments.city.trimmingCharacters(in: .whitespaces)
        guard !city.isEmpty else { throw StreamingError.invalidInput("get_weather needs a city") }
        return forecast(for: city)
    }

    /// The demo forecast for `city`: the same city always gets the same weather.
    public static func forecast(for city: String) -> String {
        // FNV-1a: `hashValue` changes between processes, the demo must not.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in city.lowercased().utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let conditions = ["sunny", "partly cloudy", "overcast", "light rain", "windy", "clear skies"]
        let condition = conditions[Int(hash % UInt64(conditions.count))]
        let celsius = Int((hash >> 8) % 30) - 2
        return "\(city): \(condition), \(celsius) °C"
    }

    struct TimeArguments: Decodable, Sendable {
        var timezone: String?
    }

    /// `get_time(timezone)`: the current time in UTC, in ISO 8601.
    public static let getTime = Tool(
        name: "get_time",
        description: "Get the current date and time (UTC).",
        parameters: [
            "type": "object",
            "properties": ["timezone": ["type": "string", "description": "Only UTC is supported."]],
        ]
    ) { (_: TimeArguments) async throws -> String in
        "The time is \(Date.now.formatted(.iso8601)) (UTC)."
    }
}
