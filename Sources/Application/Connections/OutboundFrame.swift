/// One encoded server frame: the UTF-8 bytes of a JSON text message.
///
/// A frame is encoded once and shared: a publish to a thousand subscribers hands the same
/// storage to every connection (arrays are copy-on-write), so a transport only adds its own
/// framing around it.
public struct OutboundFrame: Sendable, Hashable {
    /// The JSON text, UTF-8 encoded.
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// Encodes `text` as UTF-8.
    public init(text: String) { self.bytes = Array(text.utf8) }

    /// The JSON text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}
