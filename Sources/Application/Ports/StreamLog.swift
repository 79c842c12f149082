/// The shared log of agent streams in a cluster: every frame of a stream, in order, readable
/// and followable from every node, with a lease that says which node runs the stream.
///
/// The node that runs a stream ``create(_:)``s it, appends its frames in batches
/// (``append(_:to:final:)``, one round trip per batch) and renews its lease while the run
/// lives. Any node reads a stream's kept frames (``frames(of:after:limit:)``) and follows the
/// batches appended from then on (``follow(_:)``). When the lease of a running stream has
/// expired (its node crashed, or was paused), any node may end it with a final frame
/// (``markLost(_:expectedLastSeq:frame:)``); from then on the log refuses the old node's
/// appends (it is fenced) with ``StreamLogError/fenced``.
///
/// Implemented by `InMemoryStreamLog` (nodes in one process) and `RedisStreamLog` (a Redis
/// Stream per agent stream).
public protocol StreamLog: Sendable {
    /// The lease, retention and trimming of every stream.
    var options: StreamLogOptions { get }

    /// Registers stream `record.id`, run by `record.node`, which holds its lease from now.
    /// - Returns: `false` when a stream with that id exists (on any node).
    func create(_ record: StreamRecord) async throws -> Bool

    /// Appends consecutive frames of stream `id` for `node`, and hands them to its followers.
    /// Frames at or below the logged last seq are skipped, so a batch retried after a lost
    /// reply is not logged twice. `final` ends the stream and releases the lease; it is then
    /// kept for ``StreamLogOptions/retention``.
    ///
    /// - Throws: ``StreamLogError/fenced`` when `node` no longer holds the stream (it was
    ///   declared lost); a connection error when the log cannot be reached.
    func append(_ frames: [StreamFrame], to id: String, node: String, final: Bool) async throws

    /// Renews `node`'s lease on stream `id`; throws ``StreamLogError/fenced`` if it was lost.
    func renew(_ id: String, node: String) async throws

    /// The stream's record, or `nil` when no stream `id` is logged (never was, or expired).
    func record(_ id: String) async throws -> StreamRecord?

    /// Up to `limit` kept frames of stream `id` after `seq`, oldest first.
    func frames(of id: String, after seq: Int, limit: Int) async throws -> [StreamFrame]

    /// Ends stream `id` with `frame` (its seq must be `expectedLastSeq + 1`) if it is still
    /// running, its lease has expired and its last seq is `expectedLastSeq`.
    /// - Returns: Whether it ended the stream.
    func markLost(_ id: String, expectedLastSeq: Int, frame: StreamFrame) async throws -> Bool

    /// The batches appended to stream `id` from now on. The subscription is in place when
    /// this returns; iteration ends when the calling task is cancelled.
    func follow(_ id: String) async throws -> AsyncStream<[StreamFrame]>

    /// Asks `node`, which runs stream `id`, to cancel it.
    func requestCancel(_ id: String, on node: String) async throws

    /// The ids of streams other nodes asked this node (`node`) to cancel.
    func cancelRequests(for node: String) async throws -> AsyncStream<String>
}

/// How long leases and logs last, and how much a log keeps.
public struct StreamLogOptions: Sendable, Hashable {
    /// How long a node holds a stream without renewing; it renews every third of it. A
    /// stream whose node dies is declared lost this long after its last renewal, at most.
    public var lease: Duration
    /// How long a finished stream stays readable. A running stream's keys expire this long
    /// after its last append or renewal too, so a stream no node ever declares lost still
    /// disappears.
    public var retention: Duration
    /// The most frames kept per stream; older ones are trimmed first.
    public var maxFrames: Int

    public init(lease: Duration = .seconds(3), retention: Duration = .seconds(300), maxFrames: Int = 10_000) {
        self.lease = lease
        self.retention = retention
        self.maxFrames = max(1, maxFrames)
    }
}

/// What the log knows of a stream besides its frames.
public struct StreamRecord: Sendable, Hashable {
    public var id: String
    public var agentName: String
    public var input: String
    /// The identity that started it, enforced on every node.
    public var owner: String?
    /// The node that runs (or ran) it.
    public var node: String
    /// The last logged seq.
    public var lastSeq: Int
    /// Whether its final frame is logged.
    public var isFinished: Bool
    /// Whether a node holds its lease now (always `false` once finished).
    public var isLeased: Bool

    public init(
        id: String, agentName: String, input: String, owner: String?, node: String, lastSeq: Int = 0,
        isFinished: Bool = false, isLeased: Bool = true
    ) {
        self.id = id
        self.agentName = agentName
        self.input = input
        self.owner = owner
        self.node = node
        self.lastSeq = lastSeq
        self.isFinished = isFinished
        self.isLeased = isLeased
    }
}

/// Refusals of a ``StreamLog``.
public enum StreamLogError: Error, Sendable, Hashable {
    /// The node no longer holds the stream: another node declared it lost.
    case fenced(String)
    /// The log has no such stream (any more): it expired, or the store lost it (Redis
    /// restarted without persistence).
    case missing(String)
}
