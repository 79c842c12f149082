import Hummingbird
import NIOCore

/// A request context that knows the connection a request came on.
///
/// The SSE routes use it to end a response the moment its client goes away, even while the
/// stream has nothing to send (a model that thinks), instead of at the next write. Routes
/// registered on a router of another context type still work; their SSE responses end at the
/// first write after the client left.
public protocol ChannelRequestContext: RequestContext {
    /// The connection the request came on.
    var channel: any Channel { get }
}

/// The request context of ``StreamingHTTPRoutes`` in `RealtimeServer`: Hummingbird's basic
/// context plus the request's connection.
public struct StreamingRequestContext: ChannelRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
