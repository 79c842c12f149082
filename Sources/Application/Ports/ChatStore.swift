#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StreamingDomain

/// The port to where chat rooms and their messages are kept.
///
/// ``ChatService`` assigns each message its room-wide `seq` and appends messages in `seq`
/// order; a store keeps them and pages back through them. Backends: `InMemoryChatStore`
/// (StreamingMemory: the last ``Room/messageHistory`` messages of each room) and
/// `SQLiteChatStore` (StreamingSQLite: every message, across restarts). One conformance
/// suite checks both.
public protocol ChatStore: Sendable {
    /// Stores a new room, or replaces the settings of the room with the same name
    /// (its messages stay).
    func saveRoom(_ room: Room) async throws

    /// Forgets a room and its messages; does nothing for an unknown name.
    func deleteRoom(named name: String) async throws

    /// Every stored room, in creation order.
    func rooms() async throws -> [Room]

    /// Stores messages, in order. Each message's room must be stored, and its `seq` must
    /// be above every `seq` stored for that room (else `StreamingError.invalidInput`).
    func append(_ messages: [RoomMessage]) async throws

    /// The highest `seq` stored for `room`, or 0 when it has none.
    func lastSeq(inRoom room: String) async throws -> Int

    /// Up to `limit` messages of `room` with a `seq` below `beforeSeq` (every message when
    /// `nil`), the most recent ones, in ascending `seq` order: the page just before
    /// `beforeSeq`. An unknown room gives an empty page.
    func history(ofRoom room: String, beforeSeq: Int?, limit: Int) async throws -> [RoomMessage]

    /// Checks that the store works now, for `/health` (SQLite: a write); returns a short
    /// detail. The default reads the last `seq` of a room that does not exist.
    func healthCheck() async throws -> String?
}

extension ChatStore {
    public func healthCheck() async throws -> String? {
        _ = try await lastSeq(inRoom: "\u{0}health")
        return nil
    }
}
