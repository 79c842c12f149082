import AsyncHTTPClient
import Testing

@testable import StreamingOpenAI

/// How the provider spreads requests over its HTTP clients (one HTTP/2 connection each):
/// the first lane with room, so sequential requests keep to one connection, and a new lane
/// only when every lane carries `streamsPerConnection` requests.
@Suite struct ClientLanesTests {
    @Test func aNewLaneOnlyWhenEveryLaneIsFullAndFreedPlacesAreReusedFirst() async throws {
        let lanes = ClientLanes(streamsPerConnection: 2) { HTTPClient(eventLoopGroupProvider: .singleton) }
        var leases = (0..<5).map { _ in lanes.lease() }
        #expect(lanes.count == 3)
        #expect(leases[0].client === leases[1].client)
        #expect(leases[2].client === leases[3].client)
        #expect(leases[0].client !== leases[2].client)
        #expect(leases[4].client !== leases[0].client && leases[4].client !== leases[2].client)
        // A place freed on the first lane is the next one taken; no fourth lane.
        leases[1].release()
        leases[1].release()  // a second release changes nothing
        let next = lanes.lease()
        #expect(next.client === leases[0].client)
        #expect(lanes.count == 3)
        // Dropping a lease gives its place back.
        leases.remove(at: 2)
        #expect(lanes.lease().client === leases[2].client)
        try await lanes.shutdown()
    }

    @Test func requestsOneAfterAnotherKeepToTheFirstLane() async throws {
        let lanes = ClientLanes(streamsPerConnection: 100) { HTTPClient(eventLoopGroupProvider: .singleton) }
        let first = lanes.lease()
        let client = first.client
        first.release()
        for _ in 0..<10 {
            let lease = lanes.lease()
            #expect(lease.client === client)
            lease.release()
        }
        #expect(lanes.count == 1)
        try await lanes.shutdown()
    }
}
