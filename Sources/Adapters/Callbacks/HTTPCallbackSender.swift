import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import StreamingApplication
import StreamingDomain

/// Delivers callbacks over HTTP with AsyncHTTPClient: a POST of the JSON result to the
/// callback URL, with a timeout, an HMAC-SHA256 signature when a secret is configured, only
/// `http` and `https`, an optional allow-list of hosts, and redirects followed only within
/// the same host.
///
/// Headers of every POST:
/// - `Content-Type: application/json`, `User-Agent: raaf-streaming`;
/// - `X-RAAF-Delivery`: the delivery's id, the same on every retry (a receiver can ignore
///   a delivery it has already handled);
/// - `X-RAAF-Signature: sha256=<hex>` when a secret is set: HMAC-SHA256 of the body with
///   the secret as key. A receiver computes the same over the raw body and compares in
///   constant time (Python: `hmac.compare_digest`).
public final class HTTPCallbackSender: CallbackSender {
    public struct Configuration: Sendable, Hashable {
        /// The key of the `X-RAAF-Signature` header; no header when `nil`.
        public var secret: String?
        /// The hosts callbacks may go to (lower case, without port); any host when empty.
        public var allowedHosts: Set<String>
        /// How long one POST may take, connection included.
        public var timeout: Duration
        /// Redirects followed within the same host, at most.
        public var maxRedirects: Int

        public init(secret: String? = nil, allowedHosts: Set<String> = [], timeout: Duration = .seconds(10), maxRedirects: Int = 3) {
            self.secret = secret
            self.allowedHosts = Set(allowedHosts.map { $0.lowercased() })
            self.timeout = timeout
            self.maxRedirects = maxRedirects
        }
    }

    /// The header that carries the signature.
    public static let signatureHeader = "X-RAAF-Signature"
    /// The header that carries the delivery id.
    public static let deliveryHeader = "X-RAAF-Delivery"

    public let configuration: Configuration

    /// A sender holds no connection between deliveries: each ``post(_:to:deliveryID:)`` uses
    /// a client of its own (on NIO's shared event loops) and shuts it down, so a sender needs
    /// no shutdown, and a callback, rare next to model calls, costs one connection.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// The signature header's value for `body`: `sha256=` and the hex HMAC-SHA256 with `secret`.
    public static func signature(of body: [UInt8], secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    public func post(_ body: [UInt8], to url: String, deliveryID: String) async throws {
        var target = try check(url)
        var settings = HTTPClient.Configuration()
        // Redirects are followed below, by hand, so that none leads to another host.
        settings.redirectConfiguration = .disallow
        settings.timeout = .init(connect: TimeAmount(configuration.timeout))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: settings)
        do {
            try await post(body, to: &target, deliveryID: deliveryID, client: client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    private func post(_ body: [UInt8], to target: inout URL, deliveryID: String, client: HTTPClient) async throws {
        let url = target.absoluteString
        let origin = target.host?.lowercased()
        for _ in 0...configuration.maxRedirects {
            var request = HTTPClientRequest(url: target.absoluteString)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "raaf-streaming")
            request.headers.add(name: Self.deliveryHeader, value: deliveryID)
            if let secret = configuration.secret {
                request.headers.add(name: Self.signatureHeader, value: Self.signature(of: body, secret: secret))
            }
            request.body = .bytes(ByteBuffer(bytes: body))
            let response: HTTPClientResponse
            do {
                response = try await client.execute(request, timeout: TimeAmount(configuration.timeout))
            } catch {
                throw CallbackFailure(reason: "POST to \(Self.describe(target)) failed: \(error)")
            }
            _ = try? await response.body.collect(upTo: 64 * 1024)
            switch response.status.code {
            case 200..<300:
                return
            case 301, 302, 303, 307, 308:
                guard let location = response.headers.first(name: "location"),
                    let next = URL(string: location, relativeTo: target)?.absoluteURL
                else {
                    throw CallbackFailure(reason: "\(Self.describe(target)) redirected without a Location")
                }
                guard next.host?.lowercased() == origin, ["http", "https"].contains(next.scheme?.lowercased() ?? "") else {
                    throw StreamingError.invalidInput(
                        "the callback to \(Self.describe(target)) redirected to another host (\(next.host ?? "?")); not followed")
                }
                target = next
            default:
                throw CallbackFailure(reason: "HTTP \(response.status.code) from \(Self.describe(target))")
            }
        }
        throw CallbackFailure(reason: "more than \(configuration.maxRedirects) redirects from \(url)")
    }

    /// The URL when it may be posted to.
    private func check(_ url: String) throws -> URL {
        try Callbacks.validate(url)
        guard let parsed = URL(string: url), let host = parsed.host?.lowercased() else {
            throw StreamingError.invalidInput("a callback_url needs a host, got \"\(url)\"")
        }
        if !configuration.allowedHosts.isEmpty, !configuration.allowedHosts.contains(host) {
            throw StreamingError.invalidInput(
                "the callback host \(host) is not allowed (allowed: \(configuration.allowedHosts.sorted().joined(separator: ", ")))")
        }
        return parsed
    }

    /// Scheme, host and path, without query or credentials, for error messages.
    private static func describe(_ url: URL) -> String {
        "\(url.scheme ?? "http")://\(url.host ?? "?")\(url.port.map { ":\($0)" } ?? "")\(url.path)"
    }
}

/// A callback POST that failed in a way worth retrying: the reason is kept as the job's error.
struct CallbackFailure: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
