import StreamingApplication
import StreamingDomain
import Synchronization

/// The test double for the ``ConnectionSink`` port: an in-memory transport that keeps every
/// frame the hub hands it, every close and every ping.
///
/// `capacity` bounds how many frames it holds, like a transport's outbound buffer: once it
/// holds that many, `send` drops the frame and returns `false`. After `close`, every `send`
/// fails, as a closing transport's does.
public final class RecordingSink: ConnectionSink {
    public struct Close: Sendable, Hashable {
        public var code: CloseCode
        public var reason: String

        public init(code: CloseCode, reason: String) {
            self.code = code
            self.reason = reason
        }
    }

    private struct State {
        var frames: [OutboundFrame] = []
        var closes: [Close] = []
        var pings = 0
        var capacity = Int.max
    }

    private let state = Mutex(State())

    public init() {}

    public func send(_ frame: OutboundFrame) -> Bool {
        state.withLock { state in
            guard state.closes.isEmpty, state.frames.count < state.capacity else { return false }
            state.frames.append(frame)
            return true
        }
    }

    public func close(code: CloseCode, reason: String) {
        state.withLock { $0.closes.append(Close(code: code, reason: reason)) }
    }

    public func ping() {
        state.withLock { $0.pings += 1 }
    }

    /// The most frames the sink holds; `send` fails beyond it.
    public var capacity: Int {
        get { state.withLock { $0.capacity } }
        set { state.withLock { $0.capacity = newValue } }
    }

    /// Makes the buffer full: every further `send` fails until `capacity` is raised.
    public func fill() { state.withLock { $0.capacity = $0.frames.count } }

    /// Makes room again.
    public func makeRoom() { capacity = .max }

    /// The frames received, as the transport would write them.
    public var frames: [OutboundFrame] { state.withLock { $0.frames } }

    /// The frames received, parsed.
    public var messages: [JSONValue] {
        frames.map { frame in
            (try? JSONValue(parsing: frame.text)) ?? .string("unparsable frame: \(frame.text)")
        }
    }

    /// The parsed frames of `type`.
    public func messages(ofType type: String) -> [JSONValue] {
        messages.filter { $0["type"]?.stringValue == type }
    }

    /// The last parsed frame.
    public var last: JSONValue? { messages.last }

    /// The `error` frames' codes.
    public var errorCodes: [String] { messages(ofType: "error").compactMap { $0["code"]?.stringValue } }

    /// The close codes the hub asked for.
    public var closes: [Close] { state.withLock { $0.closes } }

    /// The close code, once closed.
    public var closeCode: CloseCode? { closes.first?.code }

    public var pings: Int { state.withLock { $0.pings } }

    /// Forgets the frames so far (the greeting, say), as if the client had read them.
    public func clear() {
        state.withLock { $0.frames.removeAll() }
    }
}
