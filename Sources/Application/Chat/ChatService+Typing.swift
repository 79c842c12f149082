import StreamingDomain

extension ChatService {
    /// `typing_start` and `typing_stop` (registered only with ``ChatOptions/enableTypingIndicators``).
    ///
    /// The other members hear when a member starts and stops typing, not every repeat: a
    /// client may send `typing_start` on every keystroke, which only pushes the expiry back.
    func handleTyping(_ connection: Connection, _ fields: FieldReader, typing: Bool) throws(ProtocolFailure) {
        let name = try fields.roomName()
        let room = try room(named: name)
        let started = try room.state.withLock { state throws(ProtocolFailure) -> Bool in
            let member = try Self.member(connection, of: state)
            if typing {
                let isNew = state.typing[connection.id] == nil
                state.typing[connection.id] = stopwatch.elapsed() + options.typingTimeout
                if isNew {
                    state.broadcast(ChatFrames.typing("typing_start", room: name, member: member), through: hub, except: connection.id)
                }
                return isNew
            }
            if state.typing.removeValue(forKey: connection.id) != nil {
                state.broadcast(ChatFrames.typing("typing_stop", room: name, member: member), through: hub, except: connection.id)
            }
            return false
        }
        if started { typingWakeup.wake() }
    }

    /// Ends the typing indicators of members who stopped sending `typing_start` without a
    /// `typing_stop` (a closed tab, a lost network): `typing_stop` with `expired: true`.
    ///
    /// Sleeps until the earliest deadline, or until someone starts typing when nobody is. A
    /// new deadline is never earlier than those already set (they all add the same timeout
    /// to the present), so the sleep never oversleeps one.
    func expireTypingIndicators() async {
        while !Task.isCancelled {
            let now = stopwatch.elapsed()
            var next: Duration? = cluster.flatMap { expireClusterTyping($0, now: now) }
            for room in allRooms() {
                room.state.withLock { state in
                    for (id, deadline) in state.typing {
                        guard deadline <= now else {
                            next = min(next ?? deadline, deadline)
                            continue
                        }
                        state.typing[id] = nil
                        if let member = state.members[id] {
                            state.broadcast(
                                ChatFrames.typing("typing_stop", room: state.room.name, member: member, expired: true),
                                through: hub, except: id)
                        }
                    }
                }
            }
            if let next {
                try? await stopwatch.sleep(next - now)
            } else {
                await typingWakeup.wait(cancellable: true)
            }
        }
    }
}
