import DequeModule
import StreamingDomain
import Synchronization

extension RealTimeChat {
    /// Sends `text` as the user and streams the agent's answer as it comes: `typingStart`,
    /// `content` pieces (``Options/responseDelay`` apart), `toolCall`, `toolOutput`, `handoff`,
    /// then `typingStop`; the sequence ends with the answer.
    ///
    /// - Throws: ``StreamingError/invalidInput(_:)`` for an empty message, one longer than
    ///   ``Options/maxMessageLength``, or while another call is under way (an answer streaming,
    ///   ``history(limit:)``, ``addAgent(_:)``: one at a time); the sequence throws
    ///   the chat's refusal or the run's failure (``StreamingError/server(code:message:)``).
    public func sendMessage(_ text: String) throws -> AsyncThrowingStream<Event, any Error> {
        guard !text.allSatisfy(\.isWhitespace) else { throw StreamingError.invalidInput("a message needs some text") }
        guard text.count <= options.maxMessageLength else {
            throw StreamingError.invalidInput("messages are limited to \(options.maxMessageLength) characters, got \(text.count)")
        }
        try takeTurn()
        let (events, continuation) = AsyncThrowingStream<Event, any Error>.makeStream()
        let task = Task {
            defer { endTurn() }
            do {
                try request(["type": "chat_message", "room": .string(room), "content": .string(text)])
                try await relayAnswer(to: continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return events
    }

    /// ``sendMessage(_:)`` with each event handed to `onEvent` as it comes, in the caller's isolation.
    public func sendMessage(
        _ text: String, isolation: isolated (any Actor)? = #isolation, onEvent: (Event) async throws -> Void
    ) async throws {
        for try await event in try sendMessage(text) { try await onEvent(event) }
    }

    /// Brings the registered agent `name` into the conversation: it may answer and take over.
    ///
    /// - Throws: ``StreamingError/invalidInput(_:)`` when it is not one of the chat's agents
    ///   or already in the conversation, and while an answer streams (one call at a time).
    public func addAgent(_ name: String) async throws {
        try takeTurn()
        defer { endTurn() }
        try request(["type": "add_agent", "room": .string(room), "agent": .string(name)])
        while let frame = try await inbox.next() {
            switch frame["type"]?.stringValue {
            case "agent_added" where frame["agent"]?.stringValue == name: return
            case "error": throw StreamingError.invalidInput(frame["message"]?.stringValue ?? "the agent was refused")
            default: continue
            }
        }
        throw StreamingError.cancelled
    }

    /// The conversation so far, oldest first: up to `limit` of the latest messages.
    ///
    /// - Throws: ``StreamingError/invalidInput(_:)`` while an answer streams (one call at a time).
    public func history(limit: Int = 50) async throws -> [Entry] {
        try takeTurn()
        defer { endTurn() }
        try request(["type": "get_history", "room": .string(room), "limit": .int(limit)])
        while let frame = try await inbox.next() {
            switch frame["type"]?.stringValue {
            case "history":
                guard case .array(let messages)? = frame["messages"] else { return [] }
                return messages.map { message in
                    Entry(
                        seq: message["seq"]?.intValue ?? 0, sender: message["sender"]?.stringValue ?? "",
                        author: message["user"]?.stringValue ?? "", content: message["content"]?.stringValue ?? "")
                }
            case "error": throw StreamingError.invalidInput(frame["message"]?.stringValue ?? "history was refused")
            default: continue
            }
        }
        throw StreamingError.cancelled
    }

    /// Reads frames until the answer to the message just sent ends, handing on its events.
    private func relayAnswer(to continuation: AsyncThrowingStream<Event, any Error>.Continuation) async throws {
        var stream: String?
        var sentContent = false
        while let frame = try await inbox.next() {
            let agent = frame["agent"]?.stringValue ?? ""
            switch frame["type"]?.stringValue {
            case "agent_typing_start":
                stream = frame["stream"]?.stringValue
                if options.enableTypingIndicators { continuation.yield(.typingStart(agent: agent)) }
            case "response_chunk" where frame["stream"]?.stringValue == stream:
                if sentContent, options.responseDelay > .zero { try await Task.sleep(for: options.responseDelay) }
                sentContent = true
                continuation.yield(.content(frame["content"]?.stringValue ?? "", agent: agent))
            case "tool_call" where frame["stream"]?.stringValue == stream:
                continuation.yield(
                    .toolCall(name: frame["name"]?.stringValue ?? "", arguments: frame["arguments"]?.stringValue ?? "", agent: agent))
            case "tool_output" where frame["stream"]?.stringValue == stream:
                continuation.yield(
                    .toolOutput(name: frame["name"]?.stringValue ?? "", output: frame["output"]?.stringValue ?? "", agent: agent))
            case "agent_handoff":
                continuation.yield(
                    .handoff(from: frame["from"]?.stringValue, to: frame["to"]?.stringValue ?? "", reason: frame["reason"]?.stringValue))
            case "agent_typing_stop" where frame["stream"]?.stringValue == stream:
                if options.enableTypingIndicators { continuation.yield(.typingStop(agent: agent)) }
                if case .object(let error)? = frame["error"] {
                    throw StreamingError.server(
                        code: error["code"]?.stringValue ?? "internal_error", message: error["message"]?.stringValue ?? "the answer failed")
                }
                return
            case "error":
                throw StreamingError.invalidInput(frame["message"]?.stringValue ?? "the message was refused")
            default:
                continue
            }
        }
        throw StreamingError.cancelled
    }
}

/// The chat's end of its in-process connection: every frame the hub sends, in order,
/// parsed, for one reader at a time.
final class InProcessSink: ConnectionSink {
    private struct State {
        var frames: Deque<JSONValue> = []
        var waiter: CheckedContinuation<JSONValue?, Never>?
        var finished = false
    }

    private let state = Mutex(State())

    func send(_ frame: OutboundFrame) -> Bool {
        guard let value = try? JSONValue(parsing: frame.text) else { return true }
        let waiter = state.withLock { state -> CheckedContinuation<JSONValue?, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.frames.append(value)
            return nil
        }
        waiter?.resume(returning: value)
        return true
    }

    func close(code: CloseCode, reason: String) { finish() }
    func ping() {}

    /// Ends ``next()``: it returns `nil` once the frames already sent are read.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<JSONValue?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next frame, waiting for it; `nil` once finished.
    func next() async throws -> JSONValue? {
        try Task.checkCancellation()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> JSONValue?? in
                    if !state.frames.isEmpty { return .some(state.frames.removeFirst()) }
                    if state.finished || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}
