import StreamingApplication
import StreamingDomain
import StreamingMemory
import StreamingTestSupport
import Testing

@Suite("InMemoryChatStore")
struct InMemoryChatStoreTests {
    @Test(arguments: ChatStoreConformance.cases)
    func conformance(_ check: ChatStoreConformance.Case) async throws {
        try await check.run(on: InMemoryChatStore())
    }

    @Test("a room keeps only its messageHistory most recent messages; lastSeq still counts the dropped ones")
    func trimsToMessageHistory() async throws {
        let store = InMemoryChatStore()
        try await store.saveRoom(ChatStoreConformance.room("lobby", messageHistory: 3))
        try await store.saveRoom(ChatStoreConformance.room("annex", messageHistory: 3))
        try await store.append(ChatStoreConformance.messages("lobby", 1...5))
        #expect(try await seqs(store, "lobby") == [3, 4, 5])
        try await store.append([ChatStoreConformance.message("lobby", 6)])
        #expect(try await seqs(store, "lobby") == [4, 5, 6])
        #expect(try await store.lastSeq(inRoom: "lobby") == 6)
        // A dropped seq is not handed out again.
        await #expect(throws: StreamingError.self) {
            try await store.append([ChatStoreConformance.message("lobby", 2)])
        }
        // A batch longer than the limit keeps its tail; the other room is untouched.
        try await store.append(ChatStoreConformance.messages("annex", 1...10))
        #expect(try await seqs(store, "annex") == [8, 9, 10])
        #expect(try await store.history(ofRoom: "lobby", beforeSeq: 5, limit: 10).map(\.seq) == [4])
    }

    @Test("saving a room with a smaller messageHistory drops the oldest messages at once; 0 keeps none")
    func shrinkingTheLimit() async throws {
        let store = InMemoryChatStore()
        try await store.saveRoom(ChatStoreConformance.room("lobby", messageHistory: 10))
        try await store.append(ChatStoreConformance.messages("lobby", 1...8))
        try await store.saveRoom(ChatStoreConformance.room("lobby", messageHistory: 2))
        #expect(try await seqs(store, "lobby") == [7, 8])
        try await store.saveRoom(ChatStoreConformance.room("lobby", messageHistory: 0))
        #expect(try await seqs(store, "lobby") == [])
        #expect(try await store.lastSeq(inRoom: "lobby") == 8)
        try await store.append([ChatStoreConformance.message("lobby", 9)])
        #expect(try await seqs(store, "lobby") == [])
        #expect(try await store.lastSeq(inRoom: "lobby") == 9)
        // A larger limit keeps what comes next; what was dropped stays dropped.
        try await store.saveRoom(ChatStoreConformance.room("lobby", messageHistory: 5))
        try await store.append(ChatStoreConformance.messages("lobby", 10...11))
        #expect(try await seqs(store, "lobby") == [10, 11])
    }

    private func seqs(_ store: InMemoryChatStore, _ room: String) async throws -> [Int] {
        try await store.history(ofRoom: room, beforeSeq: nil, limit: 100).map(\.seq)
    }
}
