import StreamingDomain

extension ChatService {
    /// The client message types of the chat protocol, each with its handler.
    ///
    /// A handler runs on the transport's thread and never waits; what it throws is answered
    /// by the hub as an `error` frame with `request_type` set to the message's type.
    func installHandlers() {
        if let cluster {
            installClusterHandlers(cluster)
            return
        }
        register("create_room") { service, connection, fields throws(ProtocolFailure) in
            try service.handleCreateRoom(connection, fields)
        }
        register("join_room") { service, connection, fields throws(ProtocolFailure) in
            try service.handleJoin(connection, fields)
        }
        register("leave_room") { service, connection, fields throws(ProtocolFailure) in
            try service.handleLeave(connection, fields)
        }
        register("delete_room") { service, connection, fields throws(ProtocolFailure) in
            try service.handleDeleteRoom(connection, fields)
        }
        register("list_rooms") { service, connection, _ in service.handleListRooms(connection) }
        register("chat_message") { service, connection, fields throws(ProtocolFailure) in
            try service.handleChatMessage(connection, fields)
        }
        register("get_history") { service, connection, fields throws(ProtocolFailure) in
            try service.handleGetHistory(connection, fields)
        }
        register("add_agent") { service, connection, fields throws(ProtocolFailure) in
            try service.handleAddAgent(connection, fields)
        }
        register("handoff_request") { service, connection, fields throws(ProtocolFailure) in
            try service.handleHandoffRequest(connection, fields)
        }
        register("stop_stream") { service, connection, fields throws(ProtocolFailure) in
            try service.handleStopStream(connection, fields)
        }
        register("chat_stats") { service, connection, _ in
            service.hub.send(ChatFrames.stats(service.stats), to: connection)
        }
        // Without indicators the types stay unknown, so a client learns they are off.
        if options.enableTypingIndicators {
            register("typing_start") { service, connection, fields throws(ProtocolFailure) in
                try service.handleTyping(connection, fields, typing: true)
            }
            register("typing_stop") { service, connection, fields throws(ProtocolFailure) in
                try service.handleTyping(connection, fields, typing: false)
            }
        }
        hub.onDisconnect { [weak self] connection, _ in
            self?.leaveEveryRoom(connection)
        }
    }

    /// Registers `body` for `type`; the hub holds the service weakly, so a service that is
    /// gone answers `server_busy` instead of keeping itself alive through the hub.
    func register(
        _ type: String,
        _ body: @escaping @Sendable (ChatService, Connection, FieldReader) throws(ProtocolFailure) -> Void
    ) {
        hub.handle(type) { [weak self] connection, fields throws(ProtocolFailure) in
            guard let self else { throw ProtocolFailure(.serverBusy, "chat rooms are not available") }
            try body(self, connection, fields)
        }
    }
}
