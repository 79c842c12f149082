import StreamingApplication
import StreamingDomain
import Synchronization

/// The test double for the ``ConnectionSink`` port: an in-memory transport that keeps every
/// frame the hub hands it, every close and every ping.
///
/// `capacity` bounds how many frames it holds, like a transport's outbound buffer: once it
/// holds that many, `send` drops the frame and returns `false`. After `close`, every `send`
/// fails, as a closing transport's does.
final class RecordingSink: ConnectionSink {
    struct Close: Sendable, Hashable {
        var code: CloseCode
        var reason: String
    }

    private struct State {
        var frames: [OutboundFrame] = []
        var closes: [Close] = []
        var pings = 0
        var capacity = Int.max
    }

    private let state = Mutex(State())

    init() {}

    func send(_ frame: OutboundFrame) -> Bool {
        state.withLock { state in
            guard state.closes.isEmpty, state.frames.count < state.capacity else { return false }
            state.frames.append(frame)
            return true
        }
    }

    func close(code: CloseCode, reason: String) {
        state.withLock { $0.closes.append(Close(code: code, reason: reason)) }
    }

    func ping() {
        state.withLock { $0.pings += 1 }
    }

    /// The most frames the sink holds; `send` fails beyond it.
    var capacity: Int {
        get { state.withLock { $0.capacity } }
        set { state.withLock { $0.capacity = newValue } }
    }

    /// Makes the buffer full: every further `send` fails until `capacity` is raised.
    func fill() { state.withLock { $0.capacity = $0.frames.count } }

    /// Makes room again.
    func makeRoom() { capacity = .max }

    /// The frames received, as the transport would write them.
    var frames: [OutboundFrame] { state.withLock { $0.frames } }

    /// The frames received, parsed.
    var messages: [JSONValue] {
        frames.map { frame in
            (try? JSONValue(parsing: frame.text)) ?? .string("unparsable frame: \(frame.text)")
        }
    }

    /// The parsed frames of `type`.
    func messages(ofType type: String) -> [JSONValue] {
        messages.filter { $0["type"]?.stringValue == type }
    }

    /// The last parsed frame.
    var last: JSONValue? { messages.last }

    /// The `error` frames' codes.
    var errorCodes: [String] { messages(ofType: "error").compactMap { $0["code"]?.stringValue } }

    /// The close codes the hub asked for.
    var closes: [Close] { state.withLock { $0.closes } }

    /// The close code, once closed.
    var closeCode: CloseCode? { closes.first?.code }

    var pings: Int { state.withLock { $0.pings } }

    /// Forgets the frames so far (the greeting, say), as if the client had read them.
    func clear() {
        state.withLock { $0.frames.removeAll() }
    }
}
