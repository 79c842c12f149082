import StreamingApplication
import StreamingDomain

/// The offline model: a deterministic, scripted ``ModelProvider`` that needs no network
/// and no key, so every command and test runs on a fresh machine.
///
/// It streams its answers in small deltas, as a real model does:
/// - asked about the weather in a city ("weather in Paris", "weather in Paris and Oslo"),
///   it calls `get_weather` once per city, when the agent has that tool, streaming the
///   JSON arguments in several fragments; on the next turn it answers from the results;
/// - asked for the time, it calls `get_time` when the agent has it;
/// - told "transfer me to <agent>", it calls `transfer_to_<agent>` when the agent may
///   hand off to that agent; the new agent then introduces itself;
/// - when the message names one of the agent's other tools (`lookup_order A-1042`), it calls
///   that tool with `{"query": <the words after its name>}`, so an agent's own tools can be
///   tried offline;
/// - otherwise it writes a few paragraphs that quote the user's words.
public struct ScriptedModelProvider: ModelProvider {
    public init() {}

    public func stream(_ request: ModelRequest) async throws -> ModelResponseStream {
        ModelResponseStream(deltas: Self.deltas(for: request))
    }

    /// The whole scripted answer to `request`, as deltas.
    public static func deltas(for request: ModelRequest) -> [ModelDelta] {
        let turn = request.messages.count { $0.role == "assistant" } + 1
        var deltas: [ModelDelta]
        switch reply(to: request) {
        case .text(let text):
            deltas = tokens(of: text).map(ModelDelta.text)
            deltas.append(.finish(.stop))
        case .toolCalls(let calls):
            deltas = []
            for (index, call) in calls.enumerated() {
                deltas.append(.toolCallStart(index: index, id: "call_\(turn)_\(index)", name: call.name))
                for fragment in fragments(of: call.arguments, size: 7) {
                    deltas.append(.toolCallArguments(index: index, fragment: fragment))
                }
            }
            deltas.append(.finish(.toolCalls))
        }
        let promptCharacters = request.messages.reduce(0) { $0 + $1.content.utf8.count }
        deltas.append(.usage(Usage(promptTokens: max(1, promptCharacters / 4), completionTokens: deltas.count - 1)))
        return deltas
    }

    private enum Reply {
        case text(String)
        case toolCalls([(name: String, arguments: String)])
    }

    private static func reply(to request: ModelRequest) -> Reply {
        let userText = request.messages.last { $0.role == "user" }?.content ?? ""
        if case .tool = request.messages.last {
            return .text(answer(fromToolResultsIn: request, userText: userText))
        }
        let toolNames = Set(request.tools.map(\.name))
        let lowered = userText.lowercased()
        if let target = OfflineScript.transferTarget(in: lowered) {
            let toolName = Agent(name: target).handoffToolName
            if toolNames.contains(toolName) {
                let reason = #"{"reason":"The user asked to be transferred to \#(target)."}"#
                return .toolCalls([(toolName, reason)])
            }
        }
        if toolNames.contains("get_weather") {
            let cities = OfflineScript.weatherCities(in: userText)
            if !cities.isEmpty {
                return .toolCalls(cities.map { ("get_weather", #"{"city":"\#(OfflineScript.escaped($0))"}"#) })
            }
        }
        if toolNames.contains("get_time"), OfflineScript.asksForTime(lowered) {
            return .toolCalls([("get_time", #"{"timezone":"UTC"}"#)])
        }
        if let (name, query) = OfflineScript.namedTool(in: userText, among: toolNames) {
            return .toolCalls([(name, #"{"query":"\#(OfflineScript.escaped(query))"}"#)])
        }
        return .text(OfflineScript.essay(quoting: userText, agentName: request.agentName))
    }

    private static func answer(fromToolResultsIn request: ModelRequest, userText: String) -> String {
        // The results of the latest assistant turn's calls, in call order.
        guard let callIndex = request.messages.lastIndex(where: { !$0.toolCalls.isEmpty }) else {
            return OfflineScript.essay(quoting: userText, agentName: request.agentName)
        }
        let calls = request.messages[callIndex].toolCalls
        if calls.contains(where: { $0.name.hasPrefix("transfer_to_") }) {
            return OfflineScript.introduction(agentName: request.agentName, userText: userText)
        }
        var results: [String: String] = [:]
        for message in request.messages[(callIndex + 1)...] {
            if case .tool(let id, let content) = message { results[id] = content }
        }
        let lines = calls.map { call in "- \(results[call.id] ?? "no result from \(call.name)")" }
        return "Here is what I found:\n" + lines.joined(separator: "\n") + "\nAnything else I can check for you?"
    }

    /// Splits text into model-like tokens: a word with the spaces after it, a line break
    /// ending its token, long words cut every six characters (never inside a scalar).
    ///
    /// It works on UTF-8 bytes because it runs once per answer and a long answer has
    /// thousands of tokens; only ASCII spaces, tabs and line breaks separate words.
    static func tokens(of text: String) -> [String] {
        var text = text
        return text.withUTF8 { bytes in
            var tokens: [String] = []
            tokens.reserveCapacity(bytes.count / 4)
            var start = 0
            var wordScalars = 0
            var afterSpace = false
            func flush(upTo end: Int) {
                if end > start {
                    tokens.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
                }
                start = end
                wordScalars = 0
                afterSpace = false
            }
            for index in bytes.indices {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\n"):
                    flush(upTo: index + 1)
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                    afterSpace = true
                default:
                    // Continuation bytes belong to the scalar they continue.
                    guard byte & 0xC0 != 0x80 else { continue }
                    if afterSpace || wordScalars >= 6 { flush(upTo: index) }
                    wordScalars += 1
                }
            }
            flush(upTo: bytes.count)
            return tokens
        }
    }

    static func fragments(of text: String, size: Int) -> [String] {
        var fragments: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            fragments.append(String(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        return fragments
    }
}
