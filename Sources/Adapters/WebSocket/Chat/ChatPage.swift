/// The chat page that `raaf-streaming serve` answers `GET /` with: an HTML document, its style
/// sheet and its script (ES modules), no bundler and nothing loaded from elsewhere.
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
/// ## Where the page lives
///
/// As ordinary files in `Sources/Adapters/WebSocket/Chat/Page/`: `index.html` (the markup),
/// `chat.css` (the style sheet), `chat.js` (the script's entry module) and `chat/*.js` (its
/// modules, one concern each: state, elements, connection, frames, messages, streamed answers,
/// typing, views). Edit them as what they are; `node --input-type=module --check < FILE` checks
/// a module's syntax, and `Tests/WebSocketTests/Interop/chat_mock_server.py` serves them straight
/// from the folder (edit, reload) for work on the page without the Swift server.
///
/// ## Embedded at build time
///
/// The `EmbedChatPage` build-tool plugin of this package (`Plugins/EmbedChatPage`, with its
/// tool `Sources/BuildTools/EmbedFiles`) turns the folder into a generated Swift source when
/// the module builds, and again whenever one of the files changes. The page is therefore part
/// of the `StreamingWebSocket` module's code: a `raaf-streaming` binary copied anywhere serves
/// it, with nothing to install next to it and no way to start without its page. SwiftPM
/// resources (`Bundle.module`) would have needed the `.resources` bundle copied beside every
/// deployed binary and a startup check for a missing one; embedding costs one small plugin and
/// one host tool, built once, and no package dependency.
///
/// ``ChatPageRoutes`` serves the files, each as its own response, so the content security
/// policy allows no inline style or script.
public enum ChatPage {
    /// One file of the page.
    public struct File: Sendable, Hashable {
        /// Its path under the page's folder, as the page refers to it: `index.html`,
        /// `chat.css`, `chat.js`, `chat/connection.js`, ….
        public let path: String
        /// Its `content-type`, from its extension (UTF-8 text).
        public let contentType: String
        /// An entity tag of its bytes (`"…"`, quotes included): the same for the same bytes,
        /// different when the file changes.
        public let etag: String
        /// Its whole text, byte for byte the file's.
        public let text: String
    }

    /// The path of the document among ``files``.
    public static let documentPath = "index.html"

    /// Every file of the page, in path order: the document, the style sheet and the script's
    /// modules.
    public static let files: [File] = ChatPageFiles.files.map { file in
        File(path: file.path, contentType: contentType(of: file.path), etag: file.etag, text: file.text)
    }

    /// The document (`index.html`). It refers to its style sheet and script by relative URLs
    /// (`chat.css`, `chat.js`), which ``ChatPageRoutes`` serves next to it.
    public static let html: String = file(at: documentPath)!.text  // the plugin fails the build without it

    /// The file at `path` (relative to the page's folder), or `nil`.
    public static func file(at path: String) -> File? {
        files.first { $0.path == path }
    }

    /// The `content-type` of a page file, by its extension.
    static func contentType(of path: String) -> String {
        switch path.split(separator: ".").last {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        default: "application/octet-stream"
        }
    }
}
