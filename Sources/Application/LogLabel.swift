/// The swift-log label of each component, so a log line says where it came from and a
/// handler can filter by component.
public enum LogLabel {
    public static let streaming = "raaf.streaming"
    public static let websocket = "raaf.websocket"
    public static let async = "raaf.async"
    public static let background = "raaf.background"
    public static let events = "raaf.events"
    public static let chat = "raaf.chat"
    /// A cluster node's traffic through Redis (Pub/Sub, stream logs).
    public static let cluster = "raaf.cluster"

    /// Every component label.
    public static let all = [streaming, websocket, async, background, events, chat, cluster]
}
