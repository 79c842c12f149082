import HTTPTypes
import Hummingbird
import NIOCore

/// Serves ``ChatPage`` at `GET /` (or another path) on any Hummingbird router:
///
/// ```swift
/// let router = Router()
/// ChatPageRoutes().register(on: router)
/// StreamingHTTPRoutes(hub: hub).register(on: router)
/// ```
///
/// The page opens its WebSocket at `/ws` on the same host and port. Its response forbids
/// caching stale copies (`no-cache`: revalidated each time) and carries a strict content
/// security policy: nothing is loaded from elsewhere, the only connections are to the page's
/// own origin and WebSockets, and only the inline style sheet and script run.
public struct ChatPageRoutes: Sendable {
    /// The `content-security-policy` of the page. The inline `<style>` and `<script>` need
    /// `'unsafe-inline'`; everything else is limited to the page's own origin or forbidden.
    public static let contentSecurityPolicy =
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
        + "style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static let contentSecurityPolicyHeader = HTTPField.Name("Content-Security-Policy")!
    static let contentTypeOptionsHeader = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicyHeader = HTTPField.Name("Referrer-Policy")!

    /// The page's bytes, encoded once.
    static let body = ByteBuffer(string: ChatPage.html)

    /// Where the page is served.
    public let path: String

    public init(path: String = "/") {
        self.path = path
    }

    /// Adds `GET path` to `router`.
    public func register<Context: RequestContext>(on router: some RouterMethods<Context>) {
        router.get(RouterPath(path)) { _, _ in Self.response() }
    }

    /// The page's response: the document with its headers.
    public static func response() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        headers[contentSecurityPolicyHeader] = contentSecurityPolicy
        headers[contentTypeOptionsHeader] = "nosniff"
        headers[referrerPolicyHeader] = "no-referrer"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
    }
}
