import StreamingApplication
import StreamingDomain
import Synchronization

/// A model that holds each request until the test releases it, and measures how many
/// requests are in progress at once.
///
/// Each request is keyed by the text of its last user message. `release(_:)` lets one
/// input's requests answer, `releaseAll()` every present and future one. A request whose
/// task is cancelled while held is recorded in `cancelledInputs`. Inputs starting with
/// `fail` answer with `failure(input)` instead of text.
final class GatedProvider: ModelProvider {
    private struct State {
        var gates: [String: OneWaySignal] = [:]
        var releasedAll = false
        var inFlight = 0
        var maxInFlight = 0
        var startedInputs: [String] = []
        var cancelledInputs: [String] = []
    }

    private let state = Mutex(State())
    private let failure: @Sendable (String) -> any Error

    init(failure: @escaping @Sendable (String) -> any Error = { _ in StreamingError.provider(status: 400, message: "bad request") }) {
        self.failure = failure
    }

    var inFlight: Int { state.withLock { $0.inFlight } }
    var maxInFlight: Int { state.withLock { $0.maxInFlight } }
    var startedInputs: [String] { state.withLock { $0.startedInputs } }
    var cancelledInputs: [String] { state.withLock { $0.cancelledInputs } }

    func release(_ input: String) { gate(input).set() }

    func releaseAll() {
        let gates = state.withLock { state in
            state.releasedAll = true
            return Array(state.gates.values)
        }
        for gate in gates { gate.set() }
    }

    private func gate(_ input: String) -> OneWaySignal {
        let (gate, open) = state.withLock { state in
            if let gate = state.gates[input] { return (gate, false) }
            let gate = OneWaySignal()
            state.gates[input] = gate
            return (gate, state.releasedAll)
        }
        if open { gate.set() }
        return gate
    }

    func stream(_ request: ModelRequest) async throws -> ModelResponseStream {
        let input = request.messages.last { $0.role == "user" }?.content ?? ""
        state.withLock { state in
            state.inFlight += 1
            state.maxInFlight = max(state.maxInFlight, state.inFlight)
            state.startedInputs.append(input)
        }
        defer { state.withLock { $0.inFlight -= 1 } }
        await gate(input).wait()
        if Task.isCancelled {
            state.withLock { $0.cancelledInputs.append(input) }
            throw CancellationError()
        }
        if input.hasPrefix("fail") { throw failure(input) }
        return ModelResponseStream(deltas: textTurn(["answer to ", input]))
    }
}
