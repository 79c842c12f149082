/// The chat page that `raaf-streaming serve` answers `GET /` with: one HTML document with
/// its style sheet and script inline, no build step and nothing loaded from elsewhere.
///
/// Pick a name (kept in `localStorage`), pick or create a room, then chat with the people
/// and the room's agent: its answer streams into a bubble token by token, with its tool
/// calls, a stop button, typing indicators and handoff notices. A room the page creates with
/// an agent gets the page's other agents as specialists (`add_agent`), so the agent can hand
/// over to them ("transfer me to support") and members can ask for one. The page talks the chat
/// frames of the real-time protocol over a WebSocket at `/ws` on its own host and port,
/// reconnects by itself (exponential backoff with jitter, at most 10 s apart), joins its room
/// again and resumes an answer that was streaming from `room_joined.streaming`; messages are
/// shown once each, by `seq`.
///
/// The parts live in `ChatPage+HTML.swift` (markup), `ChatPage+CSS.swift` (style sheet),
/// `ChatPage+Connection.swift` and `ChatPage+Rendering.swift` (the script, in two halves).
/// ``ChatPageRoutes`` serves the page.
public enum ChatPage {
    /// The whole document.
    ///
    /// `Tests/WebSocketTests/Interop/chat_mock_server.py` assembles the same document from
    /// the same parts: keep the two in step.
    public static let html: String =
        head + "<style>\n" + css + "\n</style>\n</head>\n<body>\n" + markup + "\n<script>\n" + scriptConnection
        + "\n" + scriptRendering + "\n</script>\n</body>\n</html>\n"
}
