import StreamingDomain

/// Assembles the tool calls of one model turn from their streamed fragments.
///
/// Fragments are keyed by index: the first fragment of a call carries its id and name,
/// later ones append to its JSON arguments. Calls come out in index order.
struct ToolCallAssembler {
    private var calls: [Int: ToolCall] = [:]

    var isEmpty: Bool { calls.isEmpty }

    mutating func start(index: Int, id: String, name: String) {
        if var existing = calls[index] {
            // Some servers repeat the id or name in later fragments; keep the first non-empty ones.
            if existing.id.isEmpty { existing.id = id }
            if existing.name.isEmpty { existing.name = name }
            calls[index] = existing
        } else {
            calls[index] = ToolCall(id: id, name: name, arguments: "")
        }
    }

    mutating func appendArguments(index: Int, fragment: String) throws {
        guard calls[index] != nil else {
            throw StreamingError.protocol("arguments for tool call \(index) arrived before the call's start")
        }
        calls[index]!.arguments += fragment
    }

    /// The assembled calls in index order; calls without an id get one, so every result
    /// can answer its call.
    mutating func finish(turn: Int) -> [ToolCall] {
        defer { calls.removeAll(keepingCapacity: true) }
        return calls.keys.sorted().map { index in
            var call = calls[index]!
            if call.id.isEmpty { call.id = "call_\(turn)_\(index)" }
            return call
        }
    }
}
