import StreamingApplication
import StreamingDomain
import Synchronization

/// A provider that wraps another and records whether its deltas were cut off by cancellation.
///
/// Wrapping a ``SimulatedProvider`` with a long delay gives a model that is certainly waiting
/// inside `next()` once ``pulls`` exceeds ``deltas``, so a cancel must reach it. Wrapping a
/// ``GatedModel`` gives a model that waits for the test's next release, so a run stopped
/// before it tells ``wasCancelled`` at once.
public final class CancellationProbe: ModelProvider {
    public let base: any ModelProvider
    private let state = Mutex((requests: 0, pulls: 0, deltas: 0, cancelled: false))

    public init(_ base: any ModelProvider) {
        self.base = base
    }

    public var requests: Int { state.withLock { $0.requests } }
    /// Calls to the deltas' `next()` so far: once it is above the deltas delivered, the run waits on the model.
    public var pulls: Int { state.withLock { $0.pulls } }
    public var deltas: Int { state.withLock { $0.deltas } }
    /// Whether a model request was cut off before its end: its `next()` threw a
    /// `CancellationError`, or its deltas were dropped unfinished.
    public var wasCancelled: Bool { state.withLock { $0.cancelled } }

    public func stream(_ request: ModelRequest) async throws -> ModelResponseStream {
        state.withLock { $0.requests += 1 }
        let upstream = try await base.stream(request)
        return ModelResponseStream(Probed(upstream: upstream, probe: self))
    }

    fileprivate func pulled() { state.withLock { $0.pulls += 1 } }
    fileprivate func delivered() { state.withLock { $0.deltas += 1 } }
    fileprivate func cancelled() { state.withLock { $0.cancelled = true } }

    private struct Probed: AsyncSequence {
        typealias Element = ModelDelta
        let upstream: ModelResponseStream
        let probe: CancellationProbe

        func makeAsyncIterator() -> Iterator { Iterator(upstream: upstream.makeAsyncIterator(), probe: probe) }

        struct Iterator: AsyncIteratorProtocol {
            var upstream: ModelResponseStream.AsyncIterator
            let probe: CancellationProbe
            /// Counts a stream dropped before its end as cancelled too: a run cancelled between
            /// two pulls stops without the model seeing a CancellationError.
            let lifetime: Lifetime

            init(upstream: ModelResponseStream.AsyncIterator, probe: CancellationProbe) {
                self.upstream = upstream
                self.probe = probe
                self.lifetime = Lifetime(probe: probe)
            }

            mutating func next() async throws -> ModelDelta? {
                probe.pulled()
                do {
                    let delta = try await upstream.next()
                    if delta != nil { probe.delivered() } else { lifetime.ended = true }
                    return delta
                } catch is CancellationError {
                    probe.cancelled()
                    throw CancellationError()
                }
            }
        }

        final class Lifetime {
            let probe: CancellationProbe
            var ended = false

            init(probe: CancellationProbe) { self.probe = probe }

            deinit {
                if !ended { probe.cancelled() }
            }
        }
    }
}
