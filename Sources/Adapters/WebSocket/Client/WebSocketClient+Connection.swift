import HTTPTypes
import HummingbirdWSClient
import HummingbirdWSCompression
import Logging
import NIOWebSocket
import StreamingApplication
import StreamingDomain
import Synchronization

extension WebSocketClient {
    /// How one connection attempt ended.
    enum ConnectionEnd: Sendable {
        /// No connection opened (refused, upgrade failed, unreachable).
        case failedToConnect(StreamingError)
        /// A connection opened and then ended; `closeCode` when the server closed cleanly.
        case ended(closeCode: CloseCode?, error: StreamingError?)
    }

    /// Opens one connection and serves it until it ends.
    func connectOnce() async -> ConnectionEnd {
        let record = ConnectionRecord()
        let transport = Self.transportConfiguration(configuration)
        let outcome = await withTaskGroup(of: Result<WebSocketCloseFrame?, any Error>?.self) { group in
            group.addTask {
                // The transport's client is not Sendable: it lives in this child task only.
                let client = WSClient.WebSocketClient(
                    url: self.configuration.url, configuration: transport, logger: self.logger
                ) { inbound, outbound, _ in
                    record.opened.store(true, ordering: .sequentiallyConsistent)
                    await self.serve(inbound: inbound, outbound: outbound, record: record)
                }
                do {
                    return .success(try await client.run())
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                await self.closeRequested.wait()
                return nil
            }
            var outcome: Result<WebSocketCloseFrame?, any Error> = .success(nil)
            while let next = await group.next() {
                if let next {
                    outcome = next
                    group.cancelAll()
                } else if !record.opened.load(ordering: .sequentiallyConsistent) {
                    // close() during the connect: give it up. An open connection closes itself
                    // (the writer sends the close frame).
                    group.cancelAll()
                }
            }
            return outcome
        }
        guard record.opened.load(ordering: .sequentiallyConsistent) else {
            if case .failure(let error) = outcome { return .failedToConnect(Self.connectionError(error)) }
            return .failedToConnect(.connection("the server did not accept the WebSocket upgrade"))
        }
        switch outcome {
        case .success(let frame):
            let code = frame.map { CloseCode(rawValue: UInt16(webSocketErrorCode: $0.closeCode)) }
            return .ended(closeCode: code, error: record.readError.withLock { $0 })
        case .failure(let error):
            return .ended(closeCode: nil, error: record.readError.withLock { $0 } ?? Self.connectionError(error))
        }
    }

    /// Serves one open connection: a reader and a writer, until either ends.
    private func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, record: ConnectionRecord) async {
        let (wake, wakeContinuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        mutate { core, effects in core.opened(wake: wakeContinuation, &effects) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.write(to: outbound, wakes: wake) }
            group.addTask {
                if let error = await self.read(from: inbound) { record.readError.withLock { $0 = error } }
            }
            // Either end finishes the connection: the reader when the server is gone, the
            // writer after a close handshake that took too long.
            await group.next()
            group.cancelAll()
        }
        wakeContinuation.finish()
        mutate { core, effects in core.lost(&effects) }
    }

    /// Hands every text frame to the state; returns why reading stopped, if not a clean close.
    private func read(from inbound: WebSocketInboundStream) async -> StreamingError? {
        do {
            for try await message in inbound.messages(maxSize: configuration.maxMessageSize) {
                guard case .text(let text) = message else {
                    logger.debug("ignoring a binary message from the server")
                    continue
                }
                let decoded: ServerMessage
                do {
                    decoded = try ServerMessage(text: text)
                } catch {
                    logger.warning("ignoring a malformed frame from the server", metadata: ["error": "\(error)"])
                    continue
                }
                mutate { core, effects in core.receive(decoded, &effects) }
            }
            return nil
        } catch {
            return Self.connectionError(error)
        }
    }

    /// Writes queued frames whenever woken; after `close()`, flushes and sends the close frame.
    private func write(to outbound: WebSocketOutboundWriter, wakes: AsyncStream<Void>) async {
        for await _ in wakes {
            while let (item, text) = core.withLock({ $0.nextFrame() }) {
                do {
                    try await outbound.write(.text(text))
                } catch {
                    core.withLock { $0.unsend(item) }
                    return
                }
            }
            if isClosingNow {
                try? await outbound.close(.normalClosure, reason: "client closed")
                // The reader ends when the server answers; stop waiting after the timeout.
                try? await Task.sleep(for: configuration.closeTimeout)
                return
            }
        }
    }

    private var isClosingNow: Bool { core.withLock { $0.isClosing } }

    static func connectionError(_ error: any Error) -> StreamingError {
        if let error = error as? StreamingError { return error }
        return .connection(String(describing: error))
    }

    /// The transport's configuration: frame size, headers, pings and permessage-deflate.
    static func transportConfiguration(_ configuration: Configuration) -> WebSocketClientConfiguration {
        var headers = HTTPFields()
        for (name, value) in configuration.headers.sorted(by: { $0.key < $1.key }) {
            if let name = HTTPField.Name(name) { headers.append(HTTPField(name: name, value: value)) }
        }
        var extensions: [WebSocketExtensionFactory] = []
        if let compression = configuration.compression {
            extensions.append(
                .perMessageDeflate(
                    noContextTakeover: compression.noContextTakeover,
                    maxDecompressedFrameSize: compression.maxDecompressedMessageSize,
                    minFrameSizeToCompress: compression.minMessageSizeToCompress))
        }
        return WebSocketClientConfiguration(
            maxFrameSize: configuration.maxMessageSize,
            additionalHeaders: headers,
            extensions: extensions,
            closeTimeout: configuration.closeTimeout,
            autoPing: configuration.pingInterval.map { .enabled(timePeriod: $0) } ?? .disabled,
            validateUTF8: true
        )
    }
}

/// What one connection attempt learned, shared with the transport's handler.
final class ConnectionRecord: Sendable {
    /// Whether the upgrade succeeded and the handler ran.
    let opened = Atomic<Bool>(false)
    /// Why reading stopped, when it was not a clean close.
    let readError = Mutex<StreamingError?>(nil)
}
