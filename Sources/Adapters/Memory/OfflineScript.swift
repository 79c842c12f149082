/// The words and the little parsing behind the offline model's answers.
enum OfflineScript {
    static func essay(quoting userText: String, agentName: String) -> String {
        let speaker = agentName.isEmpty ? "the offline model" : agentName
        let quote = userText.isEmpty ? "(nothing)" : userText
        return """
            You said: “\(quote)”

            This is \(speaker), answering from the offline model. Each word reaches you as it is \
            produced — token by token, the way a real model streams — with no network and no API key.

            Ask about the weather in a city to watch a tool call, ask for the time, \
            or say “transfer me to support” to see a handoff. ✓
            """
    }

    static func introduction(agentName: String, userText: String) -> String {
        let name = agentName.isEmpty ? "another agent" : agentName
        return """
            Hello, this is \(name). I have taken over the conversation.

            About your message, “\(userText)”: I am here to help — tell me more and I will take it from here.
            """
    }

    /// The agent name in "transfer me to <name>", if the text says that.
    static func transferTarget(in lowered: String) -> String? {
        guard let range = lowered.firstRange(of: "transfer me to ") else { return nil }
        let name = lowered[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        return name.isEmpty ? nil : String(name)
    }

    /// The cities in "weather in Paris", "weather in Paris and Oslo", "weather in Rome, Oslo".
    static func weatherCities(in text: String) -> [String] {
        let lowered = text.lowercased()
        guard let weather = lowered.firstRange(of: "weather in ") else { return [] }
        let offset = lowered.distance(from: lowered.startIndex, to: weather.upperBound)
        let tail = text.dropFirst(offset).prefix { $0 != "?" && $0 != "." && $0 != "!" && $0 != "\n" }
        return tail.replacing(" and ", with: ",")
            .split(separator: ",")
            .map { $0.trimmingSpaces }
            .filter { !$0.isEmpty }
    }

    static func asksForTime(_ lowered: String) -> Bool {
        lowered.contains("what time") || lowered.contains("the time")
    }

    /// The first tool of `toolNames` (other than the demo tools and handoffs) that `text`
    /// names as a word, and the words after it.
    static func namedTool(in text: String, among toolNames: Set<String>) -> (name: String, query: String)? {
        // An agent without tools of its own (the usual case, and every demo agent) is answered
        // without splitting its input into words: on a long input that split was 15 mallocs.
        guard toolNames.contains(where: isOwnTool) else { return nil }
        let words = text.split(whereSeparator: \.isWhitespace)
        for (index, word) in words.enumerated() {
            let name = String(word)
            guard toolNames.contains(name), isOwnTool(name) else { continue }
            return (name, words[(index + 1)...].joined(separator: " "))
        }
        return nil
    }

    /// Whether `name` is a tool of the agent's own: not a demo tool, not a handoff.
    private static func isOwnTool(_ name: String) -> Bool {
        name != "get_weather" && name != "get_time" && !name.hasPrefix("transfer_to_")
    }

    /// Escapes text for a JSON string literal.
    static func escaped(_ text: String) -> String {
        text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"")
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
