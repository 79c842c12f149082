import HTTPTypes
import Hummingbird
import StreamingApplication
import StreamingDomain

/// A refused HTTP request: the protocol's `error` object as the body, with the status that fits its code.
///
/// The body is the same `{"type":"error","code":...,"message":...}` a WebSocket client
/// receives, so a client handles failures the same way on either transport.
struct HTTPFailure: Error, Sendable {
    var failure: ProtocolFailure
    var status: HTTPResponse.Status

    /// A failure answered with the status of its code, unless `status` says otherwise.
    init(_ failure: ProtocolFailure, status: HTTPResponse.Status? = nil) {
        self.failure = failure
        self.status = status ?? Self.status(for: failure.code)
    }

    init(_ code: ProtocolErrorCode, _ message: String, streamID: String? = nil, status: HTTPResponse.Status? = nil) {
        self.init(ProtocolFailure(code, message, streamID: streamID), status: status)
    }

    /// The HTTP status of each protocol code; an unknown code is a server error.
    static func status(for code: ProtocolErrorCode) -> HTTPResponse.Status {
        switch code {
        case .invalidMessage, .unknownType: .badRequest
        case .tooLarge: .contentTooLarge
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .rateLimited: .tooManyRequests
        case .serverBusy, .shuttingDown, .clusterUnavailable: .serviceUnavailable
        default: .internalServerError
        }
    }

    var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = JSONResponse.contentType
        headers[.cacheControl] = "no-store"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(
            status: status,
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: ServerFrame.error(failure).bytes))
        )
    }
}

/// Small JSON responses written with the domain's ``JSONWriter``.
enum JSONResponse {
    static let contentType = "application/json; charset=utf-8"

    static func response(status: HTTPResponse.Status = .ok, _ body: (inout JSONWriter) -> Void) -> Response {
        var writer = JSONWriter(capacity: 256)
        writer.beginObject()
        body(&writer)
        writer.endObject()
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: writer.output)))
    }
}
