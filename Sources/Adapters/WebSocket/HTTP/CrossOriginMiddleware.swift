import HTTPTypes
import Hummingbird
import NIOCore
import StreamingApplication

/// Cross-origin resource sharing (CORS) for the HTTP routes a browser app on another origin
/// calls, with the WebSocket endpoint's allow-list (`WEBSOCKET_ALLOWED_ORIGINS`) as the one
/// list for every browser-facing route.
///
/// Hummingbird's `CORSMiddleware` answers preflights (`OPTIONS` with `Origin`) and sets
/// `Access-Control-Allow-Origin`; around it, this middleware
/// - refuses a request whose `Origin` is not allowed with 403 `forbidden` and no CORS headers,
///   preflight or not, so a page on another origin can neither read an answer nor start a
///   stream with a "simple" request that skips the preflight (a form post, an `EventSource`);
/// - exposes `X-Stream-ID` on actual responses too (Hummingbird's middleware names exposed
///   headers only in the preflight answer, where browsers do not look for them).
///
/// Allowed request headers: `Authorization`, `Content-Type`, `Last-Event-ID`, `Accept`; methods
/// `GET`, `POST`, `HEAD`. No credentials mode: authenticate with a bearer token, not cookies.
/// A request without `Origin` (not a browser, or a same-origin `GET`) passes untouched.
public struct CrossOriginMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The origins allowed, such as `https://app.example.com`; empty allows any origin.
    public let allowedOrigins: Set<String>
    private let cors: CORSMiddleware<Context>

    /// The headers a page may read from a response beyond the safelisted ones.
    public static var exposedHeaders: [String] { ["X-Stream-ID"] }

    public init(allowedOrigins: Set<String>) {
        self.allowedOrigins = allowedOrigins
        self.cors = CORSMiddleware(
            allowOrigin: .originBased,
            allowHeaders: [.authorization, .contentType, StreamingHTTPRoutes.lastEventIDHeader, .accept],
            allowMethods: [.get, .post, .head, .options],
            exposedHeaders: Self.exposedHeaders,
            maxAge: .seconds(600)
        )
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        guard allowedOrigins.isEmpty || allowedOrigins.contains(origin) else {
            var refusal = HTTPFailure(.forbidden, "origin \(origin) is not allowed").response
            refusal.headers[.vary] = "Origin"
            // As for a refused WebSocket upgrade: the connection ends with the refusal.
            refusal.headers[.connection] = "close"
            return refusal
        }
        var response = try await cors.handle(request, context: context, next: next)
        if request.method != .options, response.headers[.accessControlAllowOrigin] != nil {
            response.headers[.accessControlExposeHeaders] = Self.exposedHeaders.joined(separator: ", ")
        }
        return response
    }
}
