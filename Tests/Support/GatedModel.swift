import StreamingApplication
import StreamingDomain
import Synchronization

/// A model whose answer the test releases one token at a time.
///
/// Each stream yields `tokens` in order, but token k only once the test has called
/// ``release()`` k times: the test releases a token, waits until its client holds it, and
/// only then releases the next. A transport that holds text back fails such a test at once,
/// with no timing involved. Every token is distinct (`tokens(count:)`), so a client's text
/// tells exactly which have arrived.
public final class GatedModel: ModelProvider {
    public let tokens: [String]

    private struct State {
        var released = 0
        var yielded = 0
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init(tokens: [String]) {
        self.tokens = tokens
    }

    /// `count` distinct tokens: `"t1 "`, `"t2 "`, …
    public static func tokens(count: Int) -> [String] {
        (1...count).map { "t\($0) " }
    }

    /// The text of the first `count` tokens: what a client should hold once they are released.
    public func text(upTo count: Int) -> String {
        tokens.prefix(count).joined()
    }

    /// The whole answer.
    public var answer: String { tokens.joined() }

    /// How many tokens the model has yielded so far.
    public var yielded: Int { state.withLock { $0.yielded } }

    /// Lets the model yield one more token.
    public func release() {
        state.withLock { state in
            state.released += 1
            defer { state.waiter = nil }
            return state.waiter
        }?.resume()
    }

    /// Lets the model yield every remaining token.
    public func releaseAll() {
        for _ in 0..<tokens.count { release() }
    }

    public func stream(_ request: ModelRequest) async throws -> ModelResponseStream {
        ModelResponseStream(GatedDeltas(model: self))
    }

    /// Waits until token `index` (from 0) is released; `false` when the task is cancelled.
    fileprivate func permit(_ index: Int) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.released > index || Task.isCancelled { return true }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }?.resume()
        }
        if Task.isCancelled { return false }
        state.withLock { $0.yielded = max($0.yielded, index + 1) }
        return true
    }
}

private struct GatedDeltas: AsyncSequence {
    typealias Element = ModelDelta
    let model: GatedModel

    func makeAsyncIterator() -> Iterator { Iterator(model: model) }

    struct Iterator: AsyncIteratorProtocol {
        let model: GatedModel
        var index = 0
        var ended = false

        mutating func next() async throws -> ModelDelta? {
            if index < model.tokens.count {
                guard await model.permit(index) else { throw CancellationError() }
                defer { index += 1 }
                return .text(model.tokens[index])
            }
            guard !ended else { return nil }
            ended = true
            return .finish(.stop)
        }
    }
}

extension GatedModel {
    /// Releases the tokens one at a time; after each, waits until `holds(k)` says the client
    /// holds the first k tokens, and only then releases the next. A path that holds text back
    /// fails here, whatever the machine's speed.
    public func releaseOneByOne(
        _ client: String,
        timeout: Duration = .seconds(10),
        holds: @escaping @Sendable (Int) async -> Bool
    ) async throws {
        for count in 1...tokens.count {
            release()
            try await waitUntil(timeout: timeout, "\(client) to receive token \(count) of \(tokens.count) before the model may yield the next") {
                await holds(count)
            }
        }
    }

    /// Whether `received` (a client's text so far) holds exactly the first `count` tokens.
    public func holds(_ received: String, _ count: Int) -> Bool {
        received == text(upTo: count)
    }
}
