import StreamingDomain

extension ConnectionHub {
    /// Handles one text message from `connection`: the whole wire protocol.
    ///
    /// Called on the transport's thread with the message's bytes; it never waits. Every
    /// refusal is answered with an `error` frame carrying a stable code.
    public func receive(_ text: UnsafeRawBufferPointer, from connection: Connection) {
        framesIn.add(1, ordering: .relaxed)
        heard(from: connection)
        guard text.count <= options.maxMessageSize else {
            fail(connection, .messageTooLarge(limit: options.maxMessageSize))
            return
        }
        if let wait = connection.state.withLock({ $0.bucket.take(now: .now) }) {
            let milliseconds = Int(wait.milliseconds)
            reply(connection, ProtocolFailure(.rateLimited, "too many messages; retry in \(milliseconds) ms"))
            return
        }
        let message: ClientMessage
        do {
            message = try ClientMessage(try parse(text))
        } catch {
            reply(connection, error)
            return
        }
        dispatch(message, from: connection)
    }

    /// Handles one text message given as a string (tests, in-process transports).
    public func receive(text: String, from connection: Connection) {
        var text = text
        text.withUTF8 { receive(UnsafeRawBufferPointer($0), from: connection) }
    }

    private func parse(_ text: UnsafeRawBufferPointer) throws(ProtocolFailure) -> JSONValue {
        do {
            return try JSONValue(parsing: text)
        } catch {
            throw ProtocolFailure(.invalidMessage, "not valid JSON: \(error)")
        }
    }

    /// Answers `connection` with an `error` frame.
    public func reply(_ connection: Connection, _ failure: ProtocolFailure, requestType: String? = nil) {
        send(ServerFrame.error(failure, requestType: requestType), to: connection)
        for hook in hooks.withLock({ $0.error }) { hook(connection, failure) }
    }

    private func dispatch(_ message: ClientMessage, from connection: Connection) {
        switch message {
        case .ping, .auth: break
        default:
            if requiresAuthentication, connection.identity == nil {
                reply(connection, ProtocolFailure(.unauthorized, "authenticate first"), requestType: message.type)
                return
            }
        }
        let snapshot = hooks.withLock { ($0.message, $0.handlers[message.type]) }
        for hook in snapshot.0 { hook(connection, message) }
        do {
            try act(on: message, from: connection, handler: snapshot.1)
        } catch {
            reply(connection, error, requestType: message.type)
        }
    }

    private func act(on message: ClientMessage, from connection: Connection, handler: MessageHandler?)
        throws(ProtocolFailure)
    {
        switch message {
        case .ping:
            send(ServerFrame.pong, to: connection)
        case .auth(let token):
            try authenticate(connection, token: token)
        case .subscribe(let channel):
            // In a cluster, `subscribed` means messages of every node reach the client now.
            let ready = try subscribe(connection, to: channel) { [weak self] in
                self?.send(ServerFrame.subscribed(channel), to: connection)
            }
            if ready { send(ServerFrame.subscribed(channel), to: connection) }
        case .unsubscribe(let channel):
            unsubscribe(connection, from: channel)
            send(ServerFrame.unsubscribed(channel), to: connection)
        case .publish(let channel, let data):
            publish(data, on: channel, from: connection.id)
        case .agentStream(let id, let agent, let input):
            try startStream(id: id, agent: agent, input: input, for: connection)
        case .cancel(let id):
            try withOwnedStream(id, by: connection, request: message.type) { stream throws(ProtocolFailure) in
                guard self.streams.cancel(stream.id) else {
                    throw ProtocolFailure(.notFound, "stream \"\(id)\" is not running", streamID: id)
                }
                // A follower hears the stream's final `error` frame (`cancelled`); anyone else
                // (another connection of the same identity, one that never resumed it) is answered here.
                if !connection.state.withLock({ $0.streams.contains(stream.id) }) {
                    self.send(ServerFrame.cancelled(id: stream.id), to: connection)
                }
            }
        case .resume(let id, let afterSeq):
            try withOwnedStream(id, by: connection, request: message.type) { stream throws(ProtocolFailure) in
                try self.resume(stream, after: afterSeq, for: connection)
            }
        case .custom(let type, let fields):
            guard let handler else {
                throw ProtocolFailure(.unknownType, "unknown message type \"\(type)\"")
            }
            try handler(connection, FieldReader(fields: fields))
        }
    }

    private func authenticate(_ connection: Connection, token: String) throws(ProtocolFailure) {
        guard let authenticate else {
            // Nothing to check against: accept, so clients may always send their token.
            send(ServerFrame.authenticated(identity: connection.identity ?? "anonymous"), to: connection)
            return
        }
        guard let identity = authenticate(token) else {
            reply(connection, ProtocolFailure(.unauthorized, "the token was refused", closeCode: .policyViolation), requestType: "auth")
            connection.sink.close(code: .policyViolation, reason: "authentication failed")
            disconnect(connection, code: .policyViolation)
            return
        }
        connection.state.withLock { $0.identity = identity }
        send(ServerFrame.authenticated(identity: identity), to: connection)
    }

    private func startStream(id: String?, agent: String, input: String, for connection: Connection)
        throws(ProtocolFailure)
    {
        // Streams are looked at outside the connection's lock: `AgentStream.append` takes the
        // two locks the other way round (a dropped frame counts as missed under the stream's lock).
        let running = connection.state.withLock { $0.streams }.count { streams.stream($0)?.isFinished == false }
        guard running < options.maxStreamsPerConnection else {
            throw ProtocolFailure(
                .serverBusy, "at most \(options.maxStreamsPerConnection) streams per connection", streamID: id)
        }
        let stream = try streams.start(id: id, agent: agent, input: input, owner: connection.identity)
        follow(stream, after: 0, by: connection, announce: false)
    }

    private func resume(_ stream: AgentStream, after afterSeq: Int, for connection: Connection) throws(ProtocolFailure) {
        let id = stream.id
        let lastSeq = stream.lastSeq
        guard afterSeq <= lastSeq else {
            throw ProtocolFailure(
                .invalidMessage, "after_seq \(afterSeq) is past the stream's last frame (\(lastSeq))", streamID: id)
        }
        guard follow(stream, after: afterSeq, by: connection, announce: true) else {
            throw ProtocolFailure(
                .notFound, "frames after \(afterSeq) of stream \"\(id)\" are no longer kept", streamID: id)
        }
    }

    @discardableResult
    private func follow(_ stream: AgentStream, after afterSeq: Int, by connection: Connection, announce: Bool) -> Bool {
        let followed = stream.follow(connection, after: afterSeq) { lastSeq, finished in
            announce ? ServerFrame.resumed(id: stream.id, afterSeq: afterSeq, lastSeq: lastSeq, finished: finished) : nil
        }
        if followed {
            // Forget finished streams so the set stays as small as the live ones; found outside
            // the connection's lock, for the lock order explained in `startStream`.
            let ended = connection.state.withLock { $0.streams }.filter { streams.stream($0)?.isFinished != false }
            connection.state.withLock { state in
                state.streams.subtract(ended)
                state.streams.insert(stream.id)
            }
        }
        return followed
    }

    /// Runs `body` with stream `id` once found, if `connection` may use it. A stream of
    /// another node of the cluster is looked up in the shared log first, without waiting:
    /// `body` then runs later, and a refusal is answered on the connection.
    private func withOwnedStream(
        _ id: String, by connection: Connection, request: String,
        _ body: @escaping @Sendable (AgentStream) throws(ProtocolFailure) -> Void
    ) throws(ProtocolFailure) {
        if let stream = streams.stream(id) {
            return try body(try owned(stream, by: connection))
        }
        guard streams.cluster != nil else { throw ProtocolFailure(.notFound, "no stream \"\(id)\"", streamID: id) }
        streams.lookup(id) { [weak self] result in
            guard let self else { return }
            do throws(ProtocolFailure) {
                guard let stream = try result.get() else {
                    throw ProtocolFailure(.notFound, "no stream \"\(id)\"", streamID: id)
                }
                try body(try self.owned(stream, by: connection))
            } catch {
                self.reply(connection, error, requestType: request)
            }
        }
    }

    private func owned(_ stream: AgentStream, by connection: Connection) throws(ProtocolFailure) -> AgentStream {
        if let owner = stream.owner, owner != connection.identity {
            throw ProtocolFailure(.forbidden, "stream \"\(stream.id)\" belongs to another identity", streamID: stream.id)
        }
        return stream
    }
}
