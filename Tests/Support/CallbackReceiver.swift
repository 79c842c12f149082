import Foundation

/// A webhook receiver in Python (`Fixtures/callback_receiver.py`), started for one test: it
/// answers by path (`/ok`, `/flaky`, `/down`, `/slow`, `/redirect-same`, `/redirect-other`)
/// and checks each POST's HMAC-SHA256 signature itself, with Python's `hmac`.
public final class CallbackReceiver: Sendable {
    /// One POST the receiver got.
    public struct Delivery: Decodable, Sendable {
        public var path: String
        public var status: Int
        public var body: String
        public var delivery: String?
        /// Whether `X-RAAF-Signature` matched the receiver's own HMAC of the body.
        public var signatureOK: Bool

        enum CodingKeys: String, CodingKey {
            case path, status, body, delivery
            case signatureOK = "signature_ok"
        }

        /// The body as a JSON object.
        public var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/callback_receiver.py")

    public let port: Int
    private let child: RunningChild
    private let log: URL

    /// Starts a receiver that checks signatures with `secret`.
    public static func start(secret: String) async throws -> CallbackReceiver {
        guard let python = ChildProcess.find("python3") else { throw ReceiverError(description: "needs python3") }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("callbacks-\(UUID().uuidString).jsonl")
        let child = try RunningChild(python, [script.path, secret, log.path])
        let line = try await child.line(containing: "PORT ")
        guard let port = line.split(separator: " ").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
            await child.stop()
            throw ReceiverError(description: "no port in the receiver's line \(line)")
        }
        return CallbackReceiver(port: port, child: child, log: log)
    }

    private init(port: Int, child: RunningChild, log: URL) {
        self.port = port
        self.child = child
        self.log = log
    }

    /// `http://127.0.0.1:<port><path>`.
    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Every POST so far, in order.
    public var deliveries: [Delivery] {
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Delivery.self, from: Data($0.utf8)) }
    }

    /// Stops the receiver and removes its log.
    public func stop() async {
        await child.stop()
        try? FileManager.default.removeItem(at: log)
    }
}

/// Why a ``CallbackReceiver`` did not start.
public struct ReceiverError: Error, CustomStringConvertible {
    public var description: String
}
