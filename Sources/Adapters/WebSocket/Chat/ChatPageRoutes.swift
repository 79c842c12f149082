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
/// The document is served at `path`; its other files next to it, at their paths relative to
/// the document's folder: with the default `/`, at `/chat.css`, `/chat.js` and `/chat/*.js`;
/// with `/support/`, at `/support/chat.css` and so on. (A `path` that does not end in `/`, such
/// as `/support`, has `/` as its folder, the way the browser resolves the page's relative URLs.)
/// The page opens its WebSocket at `/ws` on the same host and port.
///
/// Every response is revalidated before use (`no-cache`) and carries the file's `ETag`, so a
/// reload costs a `304 Not Modified` per file until the server runs another page. The
/// document's strict content security policy loads styles and scripts from the page's own
/// origin only: no inline style or script runs, nothing is loaded from elsewhere, and the
/// only connections are to the page's own origin and WebSockets.
public struct ChatPageRoutes: Sendable {
    /// The `content-security-policy` of the page: styles and scripts from its own origin only
    /// (no `'unsafe-inline'`), everything else limited to that origin or forbidden.
    public static let contentSecurityPolicy =
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
        + "style-src 'self'; script-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static let contentSecurityPolicyHeader = HTTPField.Name("Content-Security-Policy")!
    static let contentTypeOptionsHeader = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicyHeader = HTTPField.Name("Referrer-Policy")!

    /// A file with its bytes, encoded once.
    struct Served: Sendable {
        let file: ChatPage.File
        let body: ByteBuffer
    }

    static let served: [String: Served] = Dictionary(
        uniqueKeysWithValues: ChatPage.files.map { ($0.path, Served(file: $0, body: ByteBuffer(string: $0.text))) })

    /// Where the page is served.
    public let path: String

    /// Routes that serve the document at `path` (`/` unless told) and its files next to it.
    public init(path: String = "/") {
        self.path = path
    }

    /// The path each file is served at: the document at ``path``, the others next to it.
    public var routes: [(path: String, file: ChatPage.File)] {
        let folder = path.lastIndex(of: "/").map { String(path[...$0]) } ?? "/"
        return ChatPage.files.map { file in
            (file.path == ChatPage.documentPath ? path : folder + file.path, file)
        }
    }

    /// Adds `GET` routes for the page and its files to `router`.
    public func register<Context: RequestContext>(on router: some RouterMethods<Context>) {
        for route in routes {
            let filePath = route.file.path
            router.get(RouterPath(route.path)) { request, _ in
                Self.response(for: filePath, ifNoneMatch: request.headers[values: .ifNoneMatch])
            }
        }
    }

    /// The page's response: the document with its headers.
    public static func response() -> Response {
        response(for: ChatPage.documentPath, ifNoneMatch: [])
    }

    /// The response for the page's file at `path`: its bytes with their headers, or
    /// `304 Not Modified` when `ifNoneMatch` (the request's `If-None-Match` values) names its
    /// entity tag; `404` for a path that is not one of the page's files.
    public static func response(for path: String, ifNoneMatch: [String]) -> Response {
        guard let served = served[path] else { return Response(status: .notFound) }
        var headers = HTTPFields()
        headers[.cacheControl] = "no-cache"
        headers[.eTag] = served.file.etag
        if matches(served.file.etag, ifNoneMatch) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = served.file.contentType
        headers[contentTypeOptionsHeader] = "nosniff"
        headers[referrerPolicyHeader] = "no-referrer"
        if path == ChatPage.documentPath { headers[contentSecurityPolicyHeader] = contentSecurityPolicy }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: served.body))
    }

    /// Whether an `If-None-Match` list names `etag` (weak comparison, `*` matches any).
    static func matches(_ etag: String, _ ifNoneMatch: [String]) -> Bool {
        for value in ifNoneMatch {
            for candidate in value.split(separator: ",") {
                var tag = candidate.trimmingPrefix(while: \.isWhitespace)
                while tag.last?.isWhitespace == true { tag = tag.dropLast() }
                if tag == "*" { return true }
                if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
                if tag == etag { return true }
            }
        }
        return false
    }
}
