#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StreamingDomain

extension ChatService {
    /// A `chat_message`'s content, checked: not blank, at most ``ChatOptions/maxMessageLength``.
    func messageContent(_ fields: FieldReader) throws(ProtocolFailure) -> String {
        let content = try fields.string("content")
        guard !content.allSatisfy(\.isWhitespace) else {
            throw ProtocolFailure(.invalidMessage, "\"content\" is empty")
        }
        guard content.count <= options.maxMessageLength else {
            throw ProtocolFailure(.tooLarge, "messages are limited to \(options.maxMessageLength) characters")
        }
        return content
    }

    func handleChatMessage(_ connection: Connection, _ fields: FieldReader) throws(ProtocolFailure) {
        let name = try fields.roomName()
        let content = try messageContent(fields)
        let room = try room(named: name)
        let draining = isDraining
        let (startAnswer, waiting) = try room.state.withLock { state throws(ProtocolFailure) -> (Bool, Int?) in
            let member = try Self.member(connection, of: state)
            try takeToken(for: member.key)
            let message = try post(in: &state, sender: .user, author: member.user, content: content)
            if state.typing.removeValue(forKey: connection.id) != nil {
                // Sending ends typing; the others stop showing the indicator without waiting for it to expire.
                state.broadcast(ChatFrames.typing("typing_stop", room: name, member: member), through: hub, except: connection.id)
            }
            // A draining server starts no answer: it would hold the shutdown up.
            if draining { return (false, nil) }
            return queueAnswer(to: message, in: &state)
        }
        if draining, room.state.withLock({ $0.room.agent != nil }) {
            hub.reply(
                connection,
                ProtocolFailure(.shuttingDown, "the server is shutting down; the agent will not answer this message here"),
                requestType: "chat_message"
            )
        }
        if startAnswer { startAnswering(room) }
        if let waiting {
            // Posted, but the agent's queue is full: say so rather than never answer in silence.
            hub.reply(
                connection,
                ProtocolFailure(
                    .serverBusy, "\(waiting) messages are waiting for the agent in room \"\(name)\"; this one will not be answered"),
                requestType: "chat_message"
            )
        }
    }

    /// Takes one of the user's tokens, or throws `rate_limited` with the wait.
    func takeToken(for user: String) throws(ProtocolFailure) {
        let now = ContinuousClock.now
        let wait = rateLimits.withLock { limits -> Duration? in
            if limits.buckets[user] == nil {
                if limits.buckets.count >= limits.pruneAt {
                    // Forget the users whose buckets have refilled: they would start full anyway.
                    limits.buckets = limits.buckets.filter { !$0.value.isFull(now: now) }
                    limits.pruneAt = max(1024, limits.buckets.count * 2)
                }
                limits.buckets[user] = TokenBucket(capacity: options.messagesPerMinute, period: .seconds(60), now: now)
            }
            return limits.buckets[user]!.take(now: now)
        }
        if let wait {
            let milliseconds = wait.milliseconds
            throw ProtocolFailure(
                .rateLimited, "at most \(options.messagesPerMinute) messages a minute; retry in \(milliseconds) ms")
        }
    }

    /// Numbers a message, queues its store write and broadcasts it; called under the room's lock,
    /// which keeps `seq`, the write queue and every member's frames in the same order.
    ///
    /// Only user messages can be refused (`server_busy` when the store is too far behind):
    /// answers and notices always enter, and there is at most one of those per user message.
    @discardableResult
    func post(
        in state: inout ChatRoom.State,
        sender: RoomMessage.Sender,
        author: String,
        content: String,
        stream: String? = nil,
        stopped: Bool = false
    ) throws(ProtocolFailure) -> RoomMessage {
        let message = RoomMessage(
            room: state.room.name, seq: state.lastSeq + 1, sender: sender, author: author, content: content, sentAt: Date())
        if sender == .user {
            try enqueueBounded(.append(message))
        } else {
            enqueue(.append(message))
        }
        state.lastSeq = message.seq
        state.remember(message)
        state.broadcast(ChatFrames.chatMessage(message, stream: stream, stopped: stopped), through: hub)
        return message
    }

    // MARK: History

    /// A `get_history` the recent messages in memory could not answer: read by ``run()``.
    struct HistoryRead: Sendable {
        let connection: Connection
        let room: String
        /// The page ends before this `seq`.
        let beforeSeq: Int
        let limit: Int
        /// Messages of the page's range still waiting for (or in) a store write when asked.
        let unwritten: [RoomMessage]
    }

    func handleGetHistory(_ connection: Connection, _ fields: FieldReader) throws(ProtocolFailure) {
        let name = try fields.roomName()
        let requestedBefore = try fields.optionalInt("before_seq", in: 1...Int.max)
        let limit = try fields.optionalInt("limit", in: 1...max(1, options.historyPageLimit)) ?? min(50, options.historyPageLimit)
        let room = try room(named: name)
        let read = try room.state.withLock { state throws(ProtocolFailure) -> HistoryRead? in
            _ = try Self.member(connection, of: state)
            let before = min(requestedBefore ?? (state.lastSeq + 1), state.lastSeq + 1)
            let first = max(1, before - limit)
            // The recent messages hold the page if they reach back to its first message, and
            // the room promises to keep that far back.
            if before <= first || (state.recent.first.map { $0.seq <= first } == true && first > state.lastSeq - state.room.messageHistory) {
                let page = fitting(state.recent.filter { $0.seq >= first && $0.seq < before })
                hub.send(
                    ChatFrames.history(room: name, messages: Array(page), hasMore: (page.first?.seq ?? 1) > 1),
                    to: connection)
                return nil
            }
            return HistoryRead(
                connection: connection, room: name, beforeSeq: before, limit: limit,
                unwritten: unwrittenMessages(ofRoom: name, before: before, limit: limit + 1))
        }
        guard let read else { return }
        try directory.withLock { directory throws(ProtocolFailure) in
            guard directory.historyReads < options.maxConcurrentHistoryReads else {
                throw ProtocolFailure(.serverBusy, "too many history reads at once; try again shortly")
            }
            directory.historyReads += 1
        }
        if case .terminated = workContinuation.yield(.history(read)) {
            directory.withLock { $0.historyReads -= 1 }
            throw ProtocolFailure(.serverBusy, "the server is shutting down")
        }
    }

    /// Reads a page from the store and sends it, with the messages that were not written yet
    /// when it was asked for.
    func serve(_ read: HistoryRead) async {
        defer { directory.withLock { $0.historyReads -= 1 } }
        do {
            // One more than the page, to learn whether older messages remain.
            let stored = try await store.history(ofRoom: read.room, beforeSeq: read.beforeSeq, limit: read.limit + 1)
            var bySeq: [Int: RoomMessage] = [:]
            for message in stored { bySeq[message.seq] = message }
            for message in read.unwritten { bySeq[message.seq] = message }
            let merged = bySeq.values.sorted { $0.seq < $1.seq }.suffix(read.limit + 1)
            let page = fitting(merged.suffix(read.limit))
            let hasMore = merged.count > page.count
            hub.send(ChatFrames.history(room: read.room, messages: Array(page), hasMore: hasMore), to: read.connection)
        } catch {
            logger.warning("history read failed", metadata: ["room": "\(read.room)", "error": "\(error)"])
            hub.reply(
                read.connection, ProtocolFailure(.internalError, "the history of room \"\(read.room)\" could not be read"),
                requestType: "get_history")
        }
    }

    /// The most recent of `messages` whose content fits ``ChatOptions/maxHistoryBytes``
    /// (always the last one).
    func fitting<Messages: BidirectionalCollection<RoomMessage>>(_ messages: Messages) -> Messages.SubSequence {
        var bytes = 0
        var start = messages.endIndex
        while start > messages.startIndex {
            let previous = messages.index(before: start)
            // About 100 bytes of fields besides the content.
            bytes += messages[previous].content.utf8.count + messages[previous].author.utf8.count + 100
            if bytes > options.maxHistoryBytes, start != messages.endIndex { break }
            start = previous
        }
        return messages[start...]
    }
}
