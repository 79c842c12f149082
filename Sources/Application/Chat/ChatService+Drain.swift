extension ChatService {
    /// Whether a drain began: messages are still posted, but no new answer starts.
    var isDraining: Bool { drainBegan.load(ordering: .relaxed) }

    /// The chat answers as work a draining hub waits for
    /// (``ConnectionHub/drain(grace:work:stopNow:pollInterval:)``): once the drain begins, a
    /// `chat_message` is posted but not answered (the sender gets a `shutting_down` error);
    /// the members of a room whose agent is answering stay connected until the answer ends;
    /// an answer still running when the grace runs out ends with `agent_typing_stop` carrying
    /// a `shutting_down` error, and its partial text is posted, marked stopped.
    public var drainWork: DrainWork {
        DrainWork(
            begin: { self.drainBegan.store(true, ordering: .relaxed) },
            busyConnections: { self.membersWaitingForAnswers() },
            isIdle: { !self.anyRoomAnswering() },
            stop: { self.stopAnswersForShutdown() }
        )
    }

    private func anyRoomAnswering() -> Bool {
        if let cluster, cluster.local.withLock({ $0.rooms.values.contains { $0.answering } }) { return true }
        return allRooms().contains { room in room.state.withLock { $0.answering } }
    }

    /// The members of every room whose agent is answering (or about to).
    private func membersWaitingForAnswers() -> Set<ConnectionID> {
        var members = Set<ConnectionID>()
        cluster?.local.withLock { local in
            for room in local.rooms.values where room.answering { members.formUnion(room.members.keys) }
        }
        for room in allRooms() {
            room.state.withLock { state in
                if state.answering { members.formUnion(state.members.keys) }
            }
        }
        return members
    }

    private func stopAnswersForShutdown() {
        drainStopped.store(true, ordering: .relaxed)
        stopAnswers(in: allRooms())
    }

    /// Stops the answers in progress (of `rooms`, and of this node in a cluster) and drops
    /// the messages waiting for one.
    func stopAnswers(in rooms: [ChatRoom]) {
        for room in rooms {
            room.state.withLock { state in
                state.waiting.removeAll()
                state.live?.stop.set()
            }
        }
        cluster?.local.withLock { local in
            for room in local.rooms.values { room.live?.stop.set() }
        }
    }
}
