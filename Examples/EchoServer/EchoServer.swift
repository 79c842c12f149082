// A WebSocket echo server on the frame layer `raaf-streaming serve` uses: the same SwiftNIO
// handlers (framing, fragmentation, UTF-8 checks, control frames, the closing handshake,
// permessage-deflate with a shared zlib stream), the same server options, with an echo
// consumer in place of the ConnectionHub. The Autobahn conformance suite runs against it
// (`make conformance`, docs/CONFORMANCE.md).
//
//     swift run EchoServer --port 9001 [--compression] [--path /]
//
// It prints "listening on PORT" once it accepts connections, and stops on SIGTERM or SIGINT.
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import StreamingApplication
import StreamingWebSocket

@main
struct EchoServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Echoes every WebSocket text and binary message, on the frame layer of `serve`."
    )

    @Option(help: "The port to listen on (0 picks a free one).")
    var port = 9001

    @Option(help: "The host to bind.")
    var host = "127.0.0.1"

    @Option(help: "The WebSocket path.")
    var path = "/"

    @Flag(help: "Offer permessage-deflate (RFC 7692) to clients that ask for it.")
    var compression = false

    @Option(help: "The largest message accepted, in bytes (Autobahn's section 9 sends 16 MiB).")
    var maxMessageSize = 64 << 20

    func run() async throws {
        var logger = Logger(label: "echo-server")
        logger.logLevel = .warning
        // serve's options (WebSocketServerOptions' defaults are serve's defaults), with the
        // echo server's own path, compression switch and message limit.
        let options = WebSocketServerOptions(
            path: path,
            bufferSize: WebSocketServerOptions().bufferSize,
            enableCompression: compression,
            maxDecompressedMessageSize: maxMessageSize
        )
        let app = Application(
            router: Router(),
            server: .webSocket(options: options, maxMessageSize: maxMessageSize) { EchoConsumer() },
            configuration: .init(address: .hostname(host, port: port), serverName: "raaf-echo"),
            onServerRunning: { channel in
                // Unbuffered: a script waits for this line on a pipe.
                FileHandle.standardOutput.write(Data("listening on \(channel.localAddress?.port ?? 0)\n".utf8))
            },
            logger: logger
        )
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}

/// Sends every message back as it came: text as text, binary as binary.
final class EchoConsumer: WebSocketConsumer {
    func opened(_ connection: WebSocketConnection) -> Bool { true }

    func received(_ message: WebSocketMessage, on connection: WebSocketConnection) {
        connection.send(message)
    }

    func violated(_ violation: ProtocolViolation, on connection: WebSocketConnection) {
        connection.close(violation.closeCode, reason: violation.closeReason)
    }

    func closed() {}
}
