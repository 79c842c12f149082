import StreamingApplication
import StreamingDomain
import StreamingTestSupport
import Synchronization

/// A provider that plays one scripted list of deltas per turn and records every request.
final class ScriptedTurns: ModelProvider {
    private let turns: [[ModelDelta]]
    private let state = Mutex<[ModelRequest]>([])

    init(_ turns: [[ModelDelta]]) {
        self.turns = turns
    }

    var requests: [ModelRequest] { state.withLock { $0 } }

    func stream(_ request: ModelRequest) async throws -> ModelResponseStream {
        let index = state.withLock { requests in
            requests.append(request)
            return requests.count - 1
        }
        guard index < turns.count else {
            throw StreamingError.invalidInput("the script has no turn \(index + 1)")
        }
        return ModelResponseStream(deltas: turns[index])
    }
}

/// Deltas of a text answer, one delta per piece.
func textTurn(_ pieces: [String], usage: Usage = Usage(promptTokens: 10, completionTokens: 5)) -> [ModelDelta] {
    pieces.map(ModelDelta.text) + [.finish(.stop), .usage(usage)]
}

/// Deltas of a turn that calls tools; each call's arguments arrive in pieces of `fragmentSize` characters.
func toolTurn(_ calls: [(id: String, name: String, arguments: String)], fragmentSize: Int = 3) -> [ModelDelta] {
    var deltas: [ModelDelta] = []
    for (index, call) in calls.enumerated() {
        deltas.append(.toolCallStart(index: index, id: call.id, name: call.name))
        var rest = Substring(call.arguments)
        while !rest.isEmpty {
            deltas.append(.toolCallArguments(index: index, fragment: String(rest.prefix(fragmentSize))))
            rest = rest.dropFirst(fragmentSize)
        }
    }
    return deltas + [.finish(.toolCalls), .usage(Usage(promptTokens: 10, completionTokens: 2))]
}

/// Collects every event of a stream.
func collect<S: AsyncSequence>(_ sequence: S) async throws -> [StreamEvent] where S.Element == StreamEvent {
    var events: [StreamEvent] = []
    for try await event in sequence { events.append(event) }
    return events
}
