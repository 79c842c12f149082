import AsyncHTTPClient
import Synchronization

/// The provider's HTTP clients ("lanes"), each with a connection pool of its own, and how
/// many requests each carries now.
///
/// Over HTTP/2 a pool holds one connection to the model server, and the server caps the
/// streams of one connection (`SETTINGS_MAX_CONCURRENT_STREAMS`: 100 in Hypercorn and h2o,
/// 128 in nginx; RFC 9113 recommends no fewer than 100). async-http-client queues a request
/// past that cap inside the pool and fails it once its connect timeout has passed
/// (`getConnectionFromPoolTimeout`), so at most `streamsPerConnection` requests go through one
/// lane at once; the next goes to the next lane, a new connection, made when first needed.
/// A request takes the first lane with room, so requests one after another keep to the first
/// lane and its kept-alive connection. Over HTTP/1.1 every request has a connection of its own
/// in whichever lane it goes, so the lanes change nothing there.
///
/// The ``RequestLimiter`` admits at most `limit` requests, so `ceil(limit / streamsPerConnection)`
/// lanes always have room for an admitted request.
final class ClientLanes: Sendable {
    let streamsPerConnection: Int
    private let makeClient: @Sendable () -> HTTPClient
    private let state: Mutex<State>

    private struct State {
        var clients: [HTTPClient] = []
        var inFlight: [Int] = []
        var isShutDown = false
    }

    /// - Parameter makeClient: makes a lane's client; called when a lane is first needed.
    init(streamsPerConnection: Int, makeClient: @escaping @Sendable () -> HTTPClient) {
        self.streamsPerConnection = max(1, streamsPerConnection)
        self.makeClient = makeClient
        self.state = Mutex(State())
    }

    /// The first lane with room, counted as carrying one more request until the lease is released.
    func lease() -> LaneLease {
        let (index, client) = state.withLock { state -> (Int, HTTPClient) in
            if let index = state.inFlight.firstIndex(where: { $0 < streamsPerConnection }) {
                state.inFlight[index] += 1
                return (index, state.clients[index])
            }
            if state.isShutDown, let first = state.clients.first {
                // No new client after shutdown: the request fails on the closed one.
                state.inFlight[0] += 1
                return (0, first)
            }
            state.clients.append(makeClient())
            state.inFlight.append(1)
            return (state.clients.count - 1, state.clients[state.clients.count - 1])
        }
        return LaneLease(lanes: self, index: index, client: client)
    }

    fileprivate func release(_ index: Int) {
        state.withLock { $0.inFlight[index] -= 1 }
    }

    /// The lanes made so far (HTTP/2 connections the provider may hold at once).
    var count: Int { state.withLock { $0.clients.count } }

    /// Shuts every lane's client down; later requests fail.
    func shutdown() async throws {
        let clients = state.withLock { state -> [HTTPClient] in
            state.isShutDown = true
            if state.clients.isEmpty {
                state.clients.append(makeClient())
                state.inFlight.append(0)
            }
            return state.clients
        }
        var failure: (any Error)?
        for client in clients {
            do { try await client.shutdown() } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }
}

/// One request's place on a lane of ``ClientLanes``, given back once: by ``release()``, or
/// when the last reference goes away.
final class LaneLease: Sendable {
    let client: HTTPClient
    private let lanes: ClientLanes
    private let index: Int
    private let released = Atomic<Bool>(false)

    fileprivate init(lanes: ClientLanes, index: Int, client: HTTPClient) {
        self.lanes = lanes
        self.index = index
        self.client = client
    }

    func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        lanes.release(index)
    }

    deinit { release() }
}
